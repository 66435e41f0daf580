import createClient from "openapi-fetch";
import type { paths } from "./generated/schema";
const c = createClient<paths>({ baseUrl: "http://localhost:8080" });
void c;
