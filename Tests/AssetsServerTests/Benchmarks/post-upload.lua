-- wrk script: posts one fixed multipart upload to the drop-in endpoint.
-- BODY_FILE holds the multipart body; its boundary is BOUNDARY (see bench-serve-hits.sh).
local file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. os.getenv("BOUNDARY")
wrk.headers["ailabapi-api-key"] = os.getenv("CLIENT_KEY")
