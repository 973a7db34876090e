/// Splits a migration file into its statements, which PostgreSQL's extended protocol (the one
/// postgres-nio speaks) takes one at a time.
///
/// A `;` ends a statement unless it is inside a quoted string (`'…'`, `"…"`), a dollar-quoted
/// body (`$$…$$`, `$tag$…$tag$`), or a comment (`-- …`, `/* … */`). Comments are kept with their
/// statement; statements holding only comments and blanks are dropped.
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        let characters = Array(sql)
        var statements: [String] = []
        var current = ""
        var meaningful = false
        var index = 0
        func finish() {
            if meaningful { statements.append(current.trimmingWhitespace()) }
            current = ""
            meaningful = false
        }
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "-" where next == "-":
                while index < characters.count, characters[index] != "\n" {
                    current.append(characters[index])
                    index += 1
                }
                continue
            case "/" where next == "*":
                let end = find(["*", "/"], in: characters, from: index + 2)
                current.append(contentsOf: characters[index..<end])
                index = end
                continue
            case "'", "\"":
                let end = find([character], in: characters, from: index + 1)
                current.append(contentsOf: characters[index..<end])
                meaningful = true
                index = end
                continue
            case "$":
                // $tag$ … $tag$, where tag is empty or an identifier.
                var tagEnd = index + 1
                while tagEnd < characters.count, characters[tagEnd].isLetter || characters[tagEnd].isNumber || characters[tagEnd] == "_" { tagEnd += 1 }
                if tagEnd < characters.count, characters[tagEnd] == "$", !(characters[index + 1].isNumber) {
                    let tag = Array(characters[index...tagEnd])
                    let end = find(tag, in: characters, from: tagEnd + 1)
                    current.append(contentsOf: characters[index..<end])
                    meaningful = true
                    index = end
                    continue
                }
            case ";":
                finish()
                index += 1
                continue
            default:
                break
            }
            if !character.isWhitespace { meaningful = true }
            current.append(character)
            index += 1
        }
        finish()
        return statements
    }

    /// The index just past the first `needle` at or after `start`, or the end.
    private static func find(_ needle: [Character], in characters: [Character], from start: Int) -> Int {
        var index = start
        while index + needle.count <= characters.count {
            if Array(characters[index..<(index + needle.count)]) == needle { return index + needle.count }
            index += 1
        }
        return characters.count
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
