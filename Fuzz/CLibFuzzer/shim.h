#ifndef ASSETS_LIBFUZZER_SHIM_H
#define ASSETS_LIBFUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that keep their own main (compiler-rt FuzzerInterface.h).
// It is linked in by `-sanitize=fuzzer`; nothing references it in a build without that flag.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
