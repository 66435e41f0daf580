// How a portal team uses the generated types (openapi-typescript + openapi-fetch). check.sh
// compiles this with `tsc --strict`: if the document stops describing these calls, it fails.
import createClient from "openapi-fetch";
import type { components, paths, webhooks } from "./generated/schema";

type EmployeeView = components["schemas"]["EmployeeView"];
type Predikat = components["schemas"]["Predikat"];

const api = createClient<paths>({ baseUrl: "http://localhost:8080" });

/** Logs in with a NIP and password; the access token goes on every later call. */
export async function logIn(nip: string, password: string): Promise<string> {
  const { data, error } = await api.POST("/api/v1/auth/login", { body: { username: nip, password } });
  if (error) throw new Error(`${error.code}: ${error.detail ?? error.title}`);
  return data.access_token;
}

/** Walks every page of an agency's employees by keyset cursor. */
export async function allEmployees(token: string, agencyId: string): Promise<EmployeeView[]> {
  const employees: EmployeeView[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/api/v1/employees", {
      params: { query: { agency_id: agencyId, limit: 500, cursor } },
      headers: { Authorization: `Bearer ${token}` },
    });
    if (error) throw new Error(error.code);
    employees.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return employees;
}

/** The annual rating in force and the words of the rule that decided it. */
export async function ratingOf(token: string, planId: string): Promise<{ predikat: Predikat; decidedBy: string }> {
  const { data, error } = await api.GET("/api/v1/performance-plans/{plan_id}/final-rating", {
    params: { path: { plan_id: planId } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error) throw new Error(error.code);
  const decidedBy: string = data.explanation.decided_by;
  const calibratedFrom: Predikat | undefined = data.explanation.calibration?.predikat_before;
  void calibratedFrom;
  return { predikat: data.predikat, decidedBy };
}

/** Moves an employee to another supervisor, only if nobody changed them since they were read. */
export async function moveEmployee(token: string, employeeId: string, supervisorId: string): Promise<string | null> {
  const read = await api.GET("/api/v1/employees/{employee_id}", {
    params: { path: { employee_id: employeeId } },
    headers: { Authorization: `Bearer ${token}` },
  });
  const etag = read.response.headers.get("ETag");
  if (read.error || etag === null) throw new Error("not readable");
  const { data, error, response } = await api.PATCH("/api/v1/employees/{employee_id}", {
    params: { path: { employee_id: employeeId }, header: { "If-Match": etag } },
    body: { supervisor_id: supervisorId },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (response.status === 412) return null; // changed meanwhile: read again and retry
  if (error) throw new Error(error.code);
  const grade: string | null | undefined = data.grade;
  void grade;
  return response.headers.get("ETag");
}

/** A webhook receiver: the body is typed by its event, and `type` narrows what `data` holds. */
type FinalRatingIssued = webhooks["final_rating.issued"]["post"]["requestBody"]["content"]["application/json"];
export function onFinalRating(event: FinalRatingIssued): string {
  const predikat: Predikat = event.data.changes.predikat;
  return `${event.subject_id}: ${predikat} by ${event.data.changes.rule_set}`;
}

/** The event feed: each item is one of the event types, told apart by `type`. */
export function describe(event: components["schemas"]["EventView"]): string {
  switch (event.type) {
    case "import.finished":
      return `${event.data.changes.kind}: ${event.data.changes.inserted} new`;
    case "employee.moved": {
      const supervisor = event.data.changes["supervisor_id"];
      return `moved; supervisor was ${String(supervisor?.old)}`;
    }
    default:
      return event.type;
  }
}
