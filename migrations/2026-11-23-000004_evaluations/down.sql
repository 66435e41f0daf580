DROP TABLE feedback;
DROP TABLE realizations;
DROP TABLE evaluations;
