// A portal page as a front-end team writes it: served from its own origin, it logs in and lists
// employees through the client generated from the document (openapi-typescript + openapi-fetch).
// live.sh serves it from an allowed origin and from another, and reads what it wrote.
import createClient from "openapi-fetch";
import type { paths } from "../generated/schema";

const params = new URLSearchParams(location.hash.slice(1));
const api = createClient<paths>({ baseUrl: params.get("api") ?? "" });

async function run(): Promise<string> {
  const login = await api.POST("/api/v1/auth/login", {
    body: { username: params.get("user") ?? "", password: params.get("password") ?? "" },
  });
  if (login.error) return `error ${login.error.code}`;
  const headers = { Authorization: `Bearer ${login.data.access_token}` };
  const page = await api.GET("/api/v1/employees", { params: { query: { limit: 10 } }, headers });
  if (page.error) return `error ${page.error.code}`;
  // The headers a portal reads are exposed to it.
  const etag = page.response.headers.get("ETag");
  const requestId = page.response.headers.get("x-request-id");
  if (!etag || !requestId) return "error headers not exposed";
  const names = page.data.items.map((e) => e.name).join("|");
  return `ok ${page.data.items.length} ${names}`;
}

run()
  .then((result) => (document.getElementById("result")!.textContent = result))
  .catch((e: unknown) => (document.getElementById("result")!.textContent = `refused ${String(e)}`));
