DROP TABLE behaviour_expectations;
DROP TABLE plan_indicators;
DROP TABLE plan_results;
DROP TABLE performance_plans;
DROP TABLE periods;
