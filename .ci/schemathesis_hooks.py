"""schemathesis hooks for CI: an NDJSON import body is text on the wire, as CSV is."""
import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
