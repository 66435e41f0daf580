-- The national NIP register: a NIP names one civil servant in the whole country, whichever
-- agency employs them. On one node `employees.nip` is unique as well; on Citus, where employees
-- are spread over nodes by agency, this table (distributed by `nip`) is what keeps a NIP
-- unique nationally. The store writes it with the employee, in the same transaction.
CREATE TABLE employee_nips (
    nip          text PRIMARY KEY,
    agency_id    uuid NOT NULL REFERENCES agencies (id),
    employee_id  uuid NOT NULL,
    FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id) DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO employee_nips (nip, agency_id, employee_id) SELECT nip, agency_id, id FROM employees;
