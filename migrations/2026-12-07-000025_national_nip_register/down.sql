DROP TABLE employee_nips;
