#ifndef ASSETS_CCURL_SHIM_H
#define ASSETS_CCURL_SHIM_H

#include <curl/curl.h>

// Swift cannot call C variadic functions, so each use of curl_easy_setopt,
// curl_easy_getinfo, curl_multi_setopt and curl_share_setopt gets one typed wrapper here.
// No logic: every wrapper forwards its arguments unchanged.

static inline long assets_curl_global_all(void) { return CURL_GLOBAL_ALL; }

// MARK: curl_easy_setopt

static inline CURLcode assets_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode assets_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode assets_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode assets_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode assets_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode assets_easy_setopt_mime(CURL *handle, CURLoption option, curl_mime *value) {
    return curl_easy_setopt(handle, option, value);
}

/// For CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
static inline CURLcode assets_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/// For CURLOPT_READFUNCTION.
static inline CURLcode assets_easy_setopt_read_callback(CURL *handle, CURLoption option, curl_read_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/// For CURLOPT_SEEKFUNCTION.
static inline CURLcode assets_easy_setopt_seek_callback(CURL *handle, CURLoption option, curl_seek_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/// For CURLOPT_SHARE.
static inline CURLcode assets_easy_setopt_share(CURL *handle, CURLoption option, CURLSH *share) {
    return curl_easy_setopt(handle, option, share);
}

/// For CURLOPT_XFERINFOFUNCTION.
static inline CURLcode assets_easy_setopt_xferinfo_callback(CURL *handle, CURLoption option, curl_xferinfo_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

// MARK: curl_easy_getinfo

static inline CURLcode assets_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode assets_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode assets_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode assets_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

// MARK: curl_multi_setopt

static inline CURLMcode assets_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode assets_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

// MARK: curl_share_setopt

/// For CURLSHOPT_SHARE and CURLSHOPT_UNSHARE, whose argument is a curl_lock_data as a long.
static inline CURLSHcode assets_share_setopt_long(CURLSH *share, CURLSHoption option, long value) {
    return curl_share_setopt(share, option, value);
}

/// For CURLSHOPT_USERDATA.
static inline CURLSHcode assets_share_setopt_pointer(CURLSH *share, CURLSHoption option, void *value) {
    return curl_share_setopt(share, option, value);
}

/// For CURLSHOPT_LOCKFUNC.
static inline CURLSHcode assets_share_setopt_lock_callback(CURLSH *share, CURLSHoption option, curl_lock_function callback) {
    return curl_share_setopt(share, option, callback);
}

/// For CURLSHOPT_UNLOCKFUNC.
static inline CURLSHcode assets_share_setopt_unlock_callback(CURLSH *share, CURLSHoption option, curl_unlock_function callback) {
    return curl_share_setopt(share, option, callback);
}

#endif
