"""schemathesis hooks for CI: an NDJSON import body is text on the wire, as CSV is; a workbook is
raw bytes."""
import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
schemathesis.serializer.alias("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream")
