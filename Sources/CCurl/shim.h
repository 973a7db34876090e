#ifndef ASSETS_CCURL_SHIM_H
#define ASSETS_CCURL_SHIM_H
#include <curl/curl.h>
#endif
