import AssetStore
import Synchronization

/// Completed catalog entries this manager answered from recently, so that a repeat is
/// answered without asking SQLite again.
///
/// A completed (`ok`) entry never changes: its action key names the exact bytes and options,
/// and its elements name content-addressed blobs. What can happen to it is removal, by `gc`,
/// `verify --repair` or a retried miss:
/// - in this process, through the same ``AssetStore/Catalog``: its ``AssetStore/Catalog/removalCount``
///   moves, and the whole table is dropped;
/// - in another process: the hit path checks that every element's blob file is still there (as
///   it does for an entry read from the catalog) and, if one is gone, forgets the entry and asks
///   the catalog. An entry removed while its blobs stay (shared with another entry) answers with
///   those same bytes, which are still the answer to that photo.
///
/// Only `ok` entries are kept: refusals and pending answers are always read from the catalog.
/// The table holds at most ``capacity`` entries; past that, an arbitrary one makes room.
final class RecentEntries: Sendable {
    /// About 2 MB of entries at most.
    static let capacity = 4096

    private struct Table {
        var entries: [ContentHash: CatalogEntry] = [:]
        /// The catalog's removal count when the entries were read.
        var removals = 0
    }

    private let table = Mutex(Table())

    /// The entry under `actionKey`, unless `catalog` removed extractions since it was kept.
    func entry(for actionKey: ContentHash, in catalog: Catalog) -> CatalogEntry? {
        let removals = catalog.removalCount
        return table.withLock { table in
            guard table.removals == removals else {
                table = Table(removals: removals)
                return nil
            }
            return table.entries[actionKey]
        }
    }

    /// Keeps `entry`, read from `catalog` after `removals` removals, if it is complete.
    func remember(_ entry: CatalogEntry, readAfter removals: Int) {
        guard entry.state == .ok else { return }
        table.withLock { table in
            guard table.removals == removals else { return }
            if table.entries.count >= Self.capacity, table.entries[entry.actionKey] == nil {
                table.entries.remove(at: table.entries.startIndex)
            }
            table.entries[entry.actionKey] = entry
        }
    }

    func forget(_ actionKey: ContentHash) {
        _ = table.withLock { $0.entries.removeValue(forKey: actionKey) }
    }
}
