#ifndef ASSETS_CPNG_SHIM_H
#define ASSETS_CPNG_SHIM_H
#include <png.h>

// libpng's format and version macros are expressions Swift does not import; these
// constants carry their values across.
static const unsigned int ASSETS_PNG_IMAGE_VERSION = PNG_IMAGE_VERSION;
static const unsigned int ASSETS_PNG_FORMAT_GRAY = PNG_FORMAT_GRAY;
static const unsigned int ASSETS_PNG_FORMAT_GA = PNG_FORMAT_GA;
static const unsigned int ASSETS_PNG_FORMAT_RGB = PNG_FORMAT_RGB;
static const unsigned int ASSETS_PNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
static const unsigned int ASSETS_PNG_FORMAT_FLAG_ALPHA = PNG_FORMAT_FLAG_ALPHA;
static const unsigned int ASSETS_PNG_FORMAT_FLAG_COLOR = PNG_FORMAT_FLAG_COLOR;
static const unsigned int ASSETS_PNG_FORMAT_FLAG_LINEAR = PNG_FORMAT_FLAG_LINEAR;
static const unsigned int ASSETS_PNG_FORMAT_FLAG_COLORMAP = PNG_FORMAT_FLAG_COLORMAP;
static const unsigned int ASSETS_PNG_IMAGE_WARNING = PNG_IMAGE_WARNING;
static const unsigned int ASSETS_PNG_IMAGE_ERROR = PNG_IMAGE_ERROR;

#endif
