DROP INDEX final_ratings_employee_idx;
DROP TABLE development_activities;
DROP TABLE competency_ratings;
DROP TABLE competency_assessments;
DROP TABLE competency_assessors;
DROP TABLE competency_requirement_defaults;
DROP TABLE competency_requirements;
DROP TABLE competencies;
