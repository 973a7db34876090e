#ifndef ASSETS_CVIPS_SHIM_H
#define ASSETS_CVIPS_SHIM_H

#include <vips/vips.h>

// Swift cannot call C variadic functions, and libvips takes its optional arguments as a
// NULL-terminated list of name/value pairs. Each call PhotoFitting makes gets one
// fixed-argument wrapper here. No logic beyond building the argument list.

// MARK: life cycle

/// VIPS_INIT is a macro (it also checks the headers match the library); 0 on success.
static inline int assets_vips_init(const char *argv0) { return VIPS_INIT(argv0); }

/// libvips' warnings ("ignoring nclx profile") are not the user's business: failures come back
/// as errors, and warnings would only clutter stderr.
static void assets_vips_ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain; (void)level; (void)message; (void)data;
}

/// No operation cache (a buffer-loaded image must never answer for another buffer at the same
/// address), and no untrusted loaders except ImageMagick's, which reads BMP for us.
static inline void assets_vips_configure(void) {
    vips_cache_set_max(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, assets_vips_ignore_log, NULL);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoadMagickBuffer", FALSE);
}

static inline int assets_vips_major(void) { return vips_version(0); }
static inline int assets_vips_minor(void) { return vips_version(1); }

static inline void assets_vips_unref(VipsImage *image) { g_object_unref(image); }
static inline void assets_vips_free(void *buffer) { g_free(buffer); }
static inline void assets_vips_error_clear(void) { vips_error_clear(); }
/// A copy of the error buffer (free with assets_vips_free), then cleared.
static inline char *assets_vips_error_take(void) {
    char *text = vips_error_buffer_copy();
    return text;
}

// MARK: loading (header only until pixels are asked for)

static inline int assets_vips_jpegload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_jpegload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_pngload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_pngload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                               "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_webpload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_webpload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_tiffload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_tiffload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_gifload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_gifload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                               "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
/// HEIF and AVIF: the primary image; libheif applies the container's rotation itself.
static inline int assets_vips_heifload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_heifload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
static inline int assets_vips_magickload(const void *buf, size_t len, VipsImage **out, int sequential) {
    return vips_magickload_buffer((void *)buf, len, out, "access", sequential ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM,
                                  "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
/// Raw 8-bit pixels, copied (band-interleaved, rows top to bottom).
static inline VipsImage *assets_vips_from_pixels(const void *data, size_t size, int width, int height, int bands) {
    return vips_image_new_from_memory_copy(data, size, width, height, bands, VIPS_FORMAT_UCHAR);
}

// MARK: header

static inline int assets_vips_width(const VipsImage *image) { return vips_image_get_width(image); }
static inline int assets_vips_height(const VipsImage *image) { return vips_image_get_height(image); }
static inline int assets_vips_bands(const VipsImage *image) { return vips_image_get_bands(image); }
static inline int assets_vips_pages(VipsImage *image) { return vips_image_get_n_pages(image); }
static inline int assets_vips_has_alpha(VipsImage *image) { return vips_image_hasalpha(image); }
static inline int assets_vips_is_uchar(const VipsImage *image) { return vips_image_get_format(image) == VIPS_FORMAT_UCHAR; }
static inline int assets_vips_has_icc(const VipsImage *image) { return vips_image_get_typeof(image, VIPS_META_ICC_NAME) != 0; }
/// The EXIF orientation libvips read, 1 when there is none.
static inline int assets_vips_orientation(VipsImage *image) {
    int value = 1;
    if (vips_image_get_typeof(image, VIPS_META_ORIENTATION) == 0) return 1;
    if (vips_image_get_int(image, VIPS_META_ORIENTATION, &value) != 0) return 1;
    return value;
}
static inline void assets_vips_set_orientation(VipsImage *image, int orientation) {
    vips_image_set_int(image, VIPS_META_ORIENTATION, orientation);
}

// MARK: operations

/// Shrink-on-load JPEG thumbnail to exactly width x height (upright), sRGB, truncation fatal.
static inline int assets_vips_thumbnail_jpeg(const void *buf, size_t len, VipsImage **out, int width, int height) {
    return vips_thumbnail_buffer((void *)buf, len, out, width, "height", height, "size", VIPS_SIZE_FORCE,
                                 "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}
/// The same from an image already loaded (no shrink-on-load).
static inline int assets_vips_thumbnail_image(VipsImage *in, VipsImage **out, int width, int height) {
    return vips_thumbnail_image(in, out, width, "height", height, "size", VIPS_SIZE_FORCE, NULL);
}
static inline int assets_vips_autorot(VipsImage *in, VipsImage **out) { return vips_autorot(in, out, NULL); }
static inline int assets_vips_colourspace_srgb(VipsImage *in, VipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}
static inline int assets_vips_colourspace_bw(VipsImage *in, VipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_B_W, NULL);
}
/// The embedded ICC profile to built-in sRGB, relative colorimetric (as vips_thumbnail does).
static inline int assets_vips_icc_to_srgb(VipsImage *in, VipsImage **out) {
    return vips_icc_transform(in, out, "srgb", "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, NULL);
}
static inline int assets_vips_flatten_white(VipsImage *in, VipsImage **out) {
    double white[1] = { 255.0 };
    VipsArrayDouble *background = vips_array_double_new(white, 1);
    int result = vips_flatten(in, out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return result;
}
static inline int assets_vips_cast_uchar(VipsImage *in, VipsImage **out) {
    return vips_cast(in, out, VIPS_FORMAT_UCHAR, NULL);
}
static inline int assets_vips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
    return vips_extract_area(in, out, left, top, width, height, NULL);
}
static inline int assets_vips_extract_bands(VipsImage *in, VipsImage **out, int band, int count) {
    return vips_extract_band(in, out, band, "n", count, NULL);
}
static inline int assets_vips_bandjoin(VipsImage *first, VipsImage *second, VipsImage **out) {
    return vips_bandjoin2(first, second, out, NULL);
}
static inline int assets_vips_multiply(VipsImage *left, VipsImage *right, VipsImage **out) {
    return vips_multiply(left, right, out, NULL);
}
static inline int assets_vips_linear(VipsImage *in, VipsImage **out, double a, double b) {
    return vips_linear1(in, out, a, b, NULL);
}
/// Lanczos 3 (for photos: downscale only).
static inline int assets_vips_resize_lanczos(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return vips_resize(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
}
/// Bilinear (for masks scaled up: no ringing at the edge).
static inline int assets_vips_resize_linear(VipsImage *in, VipsImage **out, double hscale, double vscale) {
    return vips_resize(in, out, hscale, "vscale", vscale, "kernel", VIPS_KERNEL_LINEAR, NULL);
}
static inline int assets_vips_embed_copy(VipsImage *in, VipsImage **out, int width, int height) {
    return vips_embed(in, out, 0, 0, width, height, "extend", VIPS_EXTEND_COPY, NULL);
}
static inline VipsImage *assets_vips_copy_memory(VipsImage *in) { return vips_image_copy_memory(in); }

// MARK: saving (the buffer is freed with assets_vips_free)

/// Baseline JPEG, no metadata, optimised Huffman tables: the same pixels give the same bytes.
static inline int assets_vips_jpegsave(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_jpegsave_buffer(in, buf, len, "Q", quality, "strip", TRUE, "optimize_coding", TRUE,
                                "interlace", FALSE, NULL);
}
static inline int assets_vips_pngsave(VipsImage *in, void **buf, size_t *len) {
    return vips_pngsave_buffer(in, buf, len, "strip", TRUE, "compression", 6, NULL);
}
/// With metadata (the EXIF orientation), for tests that make rotated photos.
static inline int assets_vips_jpegsave_keep(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_jpegsave_buffer(in, buf, len, "Q", quality, NULL);
}
static inline int assets_vips_webpsave(VipsImage *in, void **buf, size_t *len) {
    return vips_webpsave_buffer(in, buf, len, "Q", 90, NULL);
}
static inline int assets_vips_heifsave(VipsImage *in, void **buf, size_t *len, int av1) {
    return vips_heifsave_buffer(in, buf, len, "Q", 80,
                                "compression", av1 ? VIPS_FOREIGN_HEIF_COMPRESSION_AV1 : VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, NULL);
}
static inline int assets_vips_tiffsave(VipsImage *in, void **buf, size_t *len) {
    return vips_tiffsave_buffer(in, buf, len, NULL);
}
static inline int assets_vips_gifsave(VipsImage *in, void **buf, size_t *len) {
    return vips_gifsave_buffer(in, buf, len, NULL);
}
/// The pixels as bytes (band-interleaved), freed with assets_vips_free.
static inline void *assets_vips_write_to_memory(VipsImage *in, size_t *size) {
    return vips_image_write_to_memory(in, size);
}

#endif
