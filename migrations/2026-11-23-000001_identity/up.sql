-- Identity and access: agencies (the tenants), the employees users link to, users,
-- refresh tokens, integration clients and login throttling.

CREATE TABLE agencies (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE employees (
    id          uuid PRIMARY KEY,
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    nip         text NOT NULL UNIQUE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employees_agency_idx ON employees (agency_id, id);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL UNIQUE,
    password_hash  text NOT NULL,
    roles          text[] NOT NULL CHECK (cardinality(roles) > 0),
    agency_id      uuid REFERENCES agencies (id),
    employee_id    uuid UNIQUE REFERENCES employees (id),
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_agency_idx ON users (agency_id, id);

-- Refresh tokens are stored as SHA-256 hashes. Each login starts a family; a refresh spends
-- one token and issues the next of the same family; a spent token shown again revokes it all.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    spent_at    timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Machine clients (OAuth2 client credentials) of one agency. Deleting revokes; the row stays.
CREATE TABLE clients (
    id           uuid PRIMARY KEY,
    agency_id    uuid NOT NULL REFERENCES agencies (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    secret_hash  bytea NOT NULL,
    scopes       text[] NOT NULL,
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX clients_agency_idx ON clients (agency_id, id);

-- Failed logins per key ('user:<name>' or 'ip:<address>') within the current window.
CREATE TABLE login_failures (
    key                text PRIMARY KEY,
    failures           integer NOT NULL,
    window_started_at  timestamptz NOT NULL
);
