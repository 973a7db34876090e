#ifndef ASSETS_CVIPS_SHIM_H
#define ASSETS_CVIPS_SHIM_H

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <vips/vips.h>

// Swift cannot call C variadic functions, and libvips takes its optional arguments as a
// NULL-terminated list of name/value pairs. Each call PhotoFitting makes gets one
// fixed-argument wrapper here. No logic beyond building the argument list.
//
// libvips is opened on first use, not linked: with the libraries only it needs, it is 61 of
// the 120 shared libraries `assets` would otherwise load, and resolve, at every start
// (`--version`, a cache hit, `cache stats`), though only fitting needs it. The wrappers call it
// through ASSETS_VIPS(name), the function of that name and type looked up in the opened library.

// MARK: opening the library

/// The library the headers describe (libvips.so.42 for 8.14), opened once; NULL if it cannot be.
static inline void *assets_vips_library(void) {
    static void *_Atomic library = NULL;
    void *handle = atomic_load_explicit(&library, memory_order_acquire);
    if (handle == NULL) {
        char name[32];
        snprintf(name, sizeof name, "libvips.so.%d", VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE);
        handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
        if (handle != NULL) atomic_store_explicit(&library, handle, memory_order_release);
    }
    return handle;
}

/// 1 when libvips is open (opening it if need be); else assets_vips_open_error says why.
static inline int assets_vips_open(void) { return assets_vips_library() != NULL; }
static inline const char *assets_vips_open_error(void) { return dlerror(); }

static inline void *assets_vips_symbol(const char *name) { return dlsym(assets_vips_library(), name); }
/// The library's `name`, with the type its header declares (libvips, GObject and GLib alike).
#define ASSETS_VIPS(name) ((__typeof__(&name))assets_vips_symbol(#name))

// MARK: life cycle

/// VIPS_INIT's check, through the opened library: the headers match its ABI; 0 on success.
static inline int assets_vips_init(const char *argv0) {
    int abi = ASSETS_VIPS(vips_version)(3) - ASSETS_VIPS(vips_version)(5);
    if (abi != VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE) {
        ASSETS_VIPS(vips_error)("vips_init", "ABI mismatch: the library has %d, the headers %d", abi, VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE);
        return -1;
    }
    return ASSETS_VIPS(vips_init)(argv0);
}

/// libvips' warnings ("ignoring nclx profile") are not the user's business: failures come back
/// as errors, and warnings would only clutter stderr.
static void assets_vips_ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain; (void)level; (void)message; (void)data;
}

/// No operation cache (a buffer-loaded image must never answer for another buffer at the same
/// address), and no untrusted loaders except ImageMagick's, which reads BMP for us.
static inline void assets_vips_configure(void) {
    ASSETS_VIPS(vips_cache_set_max)(0);
    ASSETS_VIPS(g_log_set_handler)("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, assets_vips_ignore_log, NULL);
    ASSETS_VIPS(vips_block_untrusted_set)(TRUE);
    ASSETS_VIPS(vips_operation_block_set)("VipsForeignLoadMagickBuffer", FALSE);
}

static inline int assets_vips_major(void) { return ASSETS_VIPS(vips_version)(0); }
static inline int assets_vips_minor(void) { return ASSETS_VIPS(vips_version)(1); }

static inline void assets_vips_unref(VipsImage *image) { ASSETS_VIPS(g_object_unref)(image); }
static inline void assets_vips_free(void *buffer) { ASSETS_VIPS(g_free)(buffer); }
static inline void assets_vips_error_clear(void) { ASSETS_VIPS(vips_error_clear)(); }
/// A copy of the error buffer (free with assets_vips_free), then cleared.
static inline char *assets_vips_error_take(void) {
    char *text = ASSETS_VIPS(vips_error_buffer_copy)();
    return text;
}

// MARK: loading (header only until pixels are asked for)

static inline int assets_vips_jpegload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_jpegload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_pngload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_pngload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                               "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_webpload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_webpload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_tiffload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_tiffload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_gifload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_gifload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                               "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
/// HEIF and AVIF: the primary image; libheif applies the container's rotation itself.
static inline int assets_vips_heifload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_heifload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_magickload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return ASSETS_VIPS(vips_magickload_buffer)((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                  "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
/// Raw 8-bit pixels, copied (band-interleaved, rows top to bottom).
static inline VipsImage *assets_vips_from_pixels(const void *data, size_t size, int width, int height, int bands) {
    return ASSETS_VIPS(vips_image_new_from_memory_copy)(data, size, width, height, bands, VIPS_FORMAT_UCHAR);
}

// MARK: header

static inline int assets_vips_width(const VipsImage *image) { return ASSETS_VIPS(vips_image_get_width)(image); }
static inline int assets_vips_height(const VipsImage *image) { return ASSETS_VIPS(vips_image_get_height)(image); }
static inline int assets_vips_bands(const VipsImage *image) { return ASSETS_VIPS(vips_image_get_bands)(image); }
static inline int assets_vips_pages(VipsImage *image) { return ASSETS_VIPS(vips_image_get_n_pages)(image); }
static inline int assets_vips_has_alpha(VipsImage *image) { return ASSETS_VIPS(vips_image_hasalpha)(image); }
static inline int assets_vips_is_uchar(const VipsImage *image) { return ASSETS_VIPS(vips_image_get_format)(image) == VIPS_FORMAT_UCHAR; }
static inline int assets_vips_has_icc(const VipsImage *image) { return ASSETS_VIPS(vips_image_get_typeof)(image, VIPS_META_ICC_NAME) != 0; }
/// The EXIF orientation libvips read, 1 when there is none.
static inline int assets_vips_orientation(VipsImage *image) {
    int value = 1;
    if (ASSETS_VIPS(vips_image_get_typeof)(image, VIPS_META_ORIENTATION) == 0) return 1;
    if (ASSETS_VIPS(vips_image_get_int)(image, VIPS_META_ORIENTATION, &value) != 0) return 1;
    return value;
}
static inline void assets_vips_set_orientation(VipsImage *image, int orientation) {
    ASSETS_VIPS(vips_image_set_int)(image, VIPS_META_ORIENTATION, orientation);
}

// MARK: operations

/// Shrink-on-load JPEG thumbnail to exactly width x height (upright), sRGB, truncation fatal.
static inline int assets_vips_thumbnail_jpeg(const void *buf, size_t len, VipsImage **out, int width, int height) {
    return ASSETS_VIPS(vips_thumbnail_buffer)((void *)buf, len, out, width, "height", height, "size", VIPS_SIZE_FORCE,
                                 "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
/// The same from an image already loaded (no shrink-on-load).
static inline int assets_vips_thumbnail_image(VipsImage *in, VipsImage **out, int width, int height) {
    return ASSETS_VIPS(vips_thumbnail_image)(in, out, width, "height", height, "size", VIPS_SIZE_FORCE, NULL);
}
static inline int assets_vips_autorot(VipsImage *in, VipsImage **out) { return ASSETS_VIPS(vips_autorot)(in, out, NULL); }
static inline int assets_vips_colourspace_srgb(VipsImage *in, VipsImage **out) {
    return ASSETS_VIPS(vips_colourspace)(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}
static inline int assets_vips_colourspace_bw(VipsImage *in, VipsImage **out) {
    return ASSETS_VIPS(vips_colourspace)(in, out, VIPS_INTERPRETATION_B_W, NULL);
}
/// The embedded ICC profile to built-in sRGB, relative colorimetric (as vips_thumbnail does).
static inline int assets_vips_icc_to_srgb(VipsImage *in, VipsImage **out) {
    return ASSETS_VIPS(vips_icc_transform)(in, out, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, NULL);
}
static inline int assets_vips_flatten_white(VipsImage *in, VipsImage **out) {
    double white[1] = { 255.0 };
    VipsArrayDouble *background = ASSETS_VIPS(vips_array_double_new)(white, 1);
    int result = ASSETS_VIPS(vips_flatten)(in, out, "background", background, NULL);
    ASSETS_VIPS(vips_area_unref)(VIPS_AREA(background));
    return result;
}
static inline int assets_vips_cast_uchar(VipsImage *in, VipsImage **out) {
    return ASSETS_VIPS(vips_cast)(in, out, VIPS_FORMAT_UCHAR, NULL);
}
static inline int assets_vips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return ASSETS_VIPS(vips_extract_area)(in, out, left, top, width, height, NULL);
}
static inline int assets_vips_extract_bands(VipsImage *in, VipsImage **out, int band, int count) {
    return ASSETS_VIPS(vips_extract_band)(in, out, band, "n", count, NULL);
}
static inline int assets_vips_bandjoin(VipsImage *first, VipsImage *second, VipsImage **out) {
    return ASSETS_VIPS(vips_bandjoin2)(first, second, out, NULL);
}
static inline int assets_vips_multiply(VipsImage *left, VipsImage *right, VipsImage **out) {
    return ASSETS_VIPS(vips_multiply)(left, right, out, NULL);
}
static inline int assets_vips_linear(VipsImage *in, VipsImage **out, double a, double b) {
    return ASSETS_VIPS(vips_linear1)(in, out, a, b, NULL);
}
/// Lanczos 3 (for photos: downscale only).
static inline int assets_vips_resize_lanczos(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return ASSETS_VIPS(vips_resize)(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
}
/// Bilinear (for masks scaled up: no ringing at the edge).
static inline int assets_vips_resize_linear(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return ASSETS_VIPS(vips_resize)(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_LINEAR, NULL);
}
static inline int assets_vips_embed_copy(VipsImage *in, VipsImage **out, int width, int height) {
    return ASSETS_VIPS(vips_embed)(in, out, 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL);
}
static inline VipsImage *assets_vips_copy_memory(VipsImage *in) { return ASSETS_VIPS(vips_image_copy_memory)(in); }

// MARK: saving (the buffer is freed with assets_vips_free)

/// Baseline JPEG, no metadata, optimised Huffman tables: the same pixels give the same bytes.
static inline int assets_vips_jpegsave(VipsImage *in, void **buf, size_t *len, int quality) {
    return ASSETS_VIPS(vips_jpegsave_buffer)(in, buf, len, "Q", quality, "strip", TRUE, "optimize_coding", TRUE,
                                "interlace", FALSE, NULL);
}
static inline int assets_vips_pngsave(VipsImage *in, void **buf, size_t *len) {
    return ASSETS_VIPS(vips_pngsave_buffer)(in, buf, len, "strip", TRUE, "compression", 6, NULL);
}
/// With metadata (the EXIF orientation), for tests that make rotated photos.
static inline int assets_vips_jpegsave_keep(VipsImage *in, void **buf, size_t *len, int quality) {
    return ASSETS_VIPS(vips_jpegsave_buffer)(in, buf, len, "Q", quality, NULL);
}
static inline int assets_vips_webpsave(VipsImage *in, void **buf, size_t *len) {
    return ASSETS_VIPS(vips_webpsave_buffer)(in, buf, len, "Q", 90, NULL);
}
static inline int assets_vips_heifsave(VipsImage *in, void **buf, size_t *len, int av1) {
    return ASSETS_VIPS(vips_heifsave_buffer)(in, buf, len, "Q", 80,
                                "compression", av1 ? VIPS_FOREIGN_HEIF_COMPRESSION_AV1 : VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, NULL);
}
static inline int assets_vips_tiffsave(VipsImage *in, void **buf, size_t *len) {
    return ASSETS_VIPS(vips_tiffsave_buffer)(in, buf, len, NULL);
}
static inline int assets_vips_gifsave(VipsImage *in, void **buf, size_t *len) {
    return ASSETS_VIPS(vips_gifsave_buffer)(in, buf, len, NULL);
}
/// The pixels as bytes (band-interleaved), freed with assets_vips_free.
static inline void *assets_vips_write_to_memory(VipsImage *in, size_t *size) {
    return ASSETS_VIPS(vips_image_write_to_memory)(in, size);
}

#endif
