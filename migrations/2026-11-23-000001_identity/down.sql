DROP TABLE login_failures;
DROP TABLE clients;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE employees;
DROP TABLE agencies;
