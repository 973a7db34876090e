#ifndef ASSETS_CPNG_SHIM_H
#define ASSETS_CPNG_SHIM_H
#include <png.h>
#endif
