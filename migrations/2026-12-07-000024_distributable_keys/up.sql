-- Keys a distributed database can keep (docs/scaling.md, "Citus"): every agency-owned table's
-- primary key, unique constraints and references between agency-owned tables name `agency_id`,
-- the distribution column. A reference names its target's agency too, so the schema itself now
-- refuses a plan whose rating official, a unit whose parent, or a realisation whose indicator is
-- of another agency. A table keyed by `id` keeps `UNIQUE (id)` here; on Citus only that one goes
-- (`kinerja_store::db::citus`), as a shard cannot see the others' ids.
--
-- The six child tables' `agency_id` is written by the store (as the import merge already did);
-- the trigger that filled it from the parent read another table on every insert, and the
-- two-column reference to the parent now checks what it checked.

-- References between agency-owned tables, and users' link to an employee, go first: they lean on the keys below.
ALTER TABLE employees DROP CONSTRAINT employees_unit_id_fkey;
ALTER TABLE employees DROP CONSTRAINT employees_position_id_fkey;
ALTER TABLE employees DROP CONSTRAINT employees_supervisor_id_fkey;
ALTER TABLE units DROP CONSTRAINT units_parent_id_fkey;
ALTER TABLE positions DROP CONSTRAINT positions_unit_id_fkey;
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_employee_id_fkey;
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_period_id_fkey;
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_rater_id_fkey;
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_rater_supervisor_id_fkey;
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_superseded_by_fkey;
ALTER TABLE plan_results DROP CONSTRAINT plan_results_plan_id_fkey;
ALTER TABLE plan_results DROP CONSTRAINT plan_results_parent_result_id_fkey;
ALTER TABLE plan_indicators DROP CONSTRAINT plan_indicators_result_id_fkey;
ALTER TABLE plan_indicators DROP CONSTRAINT plan_indicators_plan_id_fkey;
ALTER TABLE behaviour_expectations DROP CONSTRAINT behaviour_expectations_plan_id_fkey;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_plan_id_fkey;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_rated_by_fkey;
ALTER TABLE realizations DROP CONSTRAINT realizations_evaluation_id_fkey;
ALTER TABLE realizations DROP CONSTRAINT realizations_indicator_id_fkey;
ALTER TABLE feedback DROP CONSTRAINT feedback_employee_id_fkey;
ALTER TABLE feedback DROP CONSTRAINT feedback_author_id_fkey;
ALTER TABLE feedback DROP CONSTRAINT feedback_period_id_fkey;
ALTER TABLE organisation_ratings DROP CONSTRAINT organisation_ratings_unit_id_fkey;
ALTER TABLE organisation_ratings DROP CONSTRAINT organisation_ratings_period_id_fkey;
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_plan_id_fkey;
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_period_id_fkey;
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_employee_id_fkey;
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_unit_id_fkey;
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_rated_by_fkey;
ALTER TABLE objections DROP CONSTRAINT objections_plan_id_fkey;
ALTER TABLE objections DROP CONSTRAINT objections_employee_id_fkey;
ALTER TABLE objections DROP CONSTRAINT objections_decider_id_fkey;
ALTER TABLE objections DROP CONSTRAINT objections_decided_by_fkey;
ALTER TABLE competency_requirements DROP CONSTRAINT competency_requirements_position_id_fkey;
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_employee_id_fkey;
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_assessor_employee_id_fkey;
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_period_id_fkey;
ALTER TABLE competency_ratings DROP CONSTRAINT competency_ratings_assessment_id_fkey;
ALTER TABLE development_activities DROP CONSTRAINT development_activities_employee_id_fkey;
ALTER TABLE development_activities DROP CONSTRAINT development_activities_mentor_id_fkey;
ALTER TABLE acting_officials DROP CONSTRAINT acting_officials_acting_id_fkey;
ALTER TABLE acting_officials DROP CONSTRAINT acting_officials_for_employee_id_fkey;
ALTER TABLE acting_officials DROP CONSTRAINT acting_officials_for_position_id_fkey;
ALTER TABLE career_snapshots DROP CONSTRAINT career_snapshots_employee_id_fkey;
ALTER TABLE career_snapshots DROP CONSTRAINT career_snapshots_period_id_fkey;
ALTER TABLE users DROP CONSTRAINT users_employee_id_fkey;

-- Primary keys led by the agency; `id` stays unique on its own.
ALTER TABLE employees DROP CONSTRAINT employees_pkey, ADD CONSTRAINT employees_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT employees_id_key UNIQUE (id);
ALTER TABLE units DROP CONSTRAINT units_pkey, ADD CONSTRAINT units_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT units_id_key UNIQUE (id);
ALTER TABLE positions DROP CONSTRAINT positions_pkey, ADD CONSTRAINT positions_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT positions_id_key UNIQUE (id);
ALTER TABLE periods DROP CONSTRAINT periods_pkey, ADD CONSTRAINT periods_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT periods_id_key UNIQUE (id);
ALTER TABLE clients DROP CONSTRAINT clients_pkey, ADD CONSTRAINT clients_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT clients_id_key UNIQUE (id);
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_pkey, ADD CONSTRAINT performance_plans_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT performance_plans_id_key UNIQUE (id);
ALTER TABLE plan_results DROP CONSTRAINT plan_results_pkey, ADD CONSTRAINT plan_results_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT plan_results_id_key UNIQUE (id);
ALTER TABLE plan_indicators DROP CONSTRAINT plan_indicators_pkey, ADD CONSTRAINT plan_indicators_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT plan_indicators_id_key UNIQUE (id);
ALTER TABLE evaluations DROP CONSTRAINT evaluations_pkey, ADD CONSTRAINT evaluations_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT evaluations_id_key UNIQUE (id);
ALTER TABLE realizations DROP CONSTRAINT realizations_pkey, ADD CONSTRAINT realizations_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT realizations_id_key UNIQUE (id);
ALTER TABLE feedback DROP CONSTRAINT feedback_pkey, ADD CONSTRAINT feedback_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT feedback_id_key UNIQUE (id);
ALTER TABLE objections DROP CONSTRAINT objections_pkey, ADD CONSTRAINT objections_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT objections_id_key UNIQUE (id);
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_pkey, ADD CONSTRAINT competency_assessments_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT competency_assessments_id_key UNIQUE (id);
ALTER TABLE development_activities DROP CONSTRAINT development_activities_pkey, ADD CONSTRAINT development_activities_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT development_activities_id_key UNIQUE (id);
ALTER TABLE acting_officials DROP CONSTRAINT acting_officials_pkey, ADD CONSTRAINT acting_officials_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT acting_officials_id_key UNIQUE (id);
ALTER TABLE career_snapshots DROP CONSTRAINT career_snapshots_pkey, ADD CONSTRAINT career_snapshots_pkey PRIMARY KEY (agency_id, id), ADD CONSTRAINT career_snapshots_id_key UNIQUE (id);
DROP INDEX employees_agency_idx;
DROP INDEX units_agency_idx;
DROP INDEX positions_agency_idx;
DROP INDEX periods_agency_idx;
DROP INDEX clients_agency_idx;
DROP INDEX performance_plans_agency_idx;
DROP INDEX evaluations_agency_idx;
DROP INDEX objections_agency_idx;
DROP INDEX acting_officials_agency_idx;
ALTER TABLE behaviour_expectations DROP CONSTRAINT behaviour_expectations_pkey, ADD CONSTRAINT behaviour_expectations_pkey PRIMARY KEY (agency_id, plan_id, value);
ALTER TABLE organisation_ratings DROP CONSTRAINT organisation_ratings_pkey, ADD CONSTRAINT organisation_ratings_pkey PRIMARY KEY (agency_id, unit_id, period_id);
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_pkey, ADD CONSTRAINT final_ratings_pkey PRIMARY KEY (agency_id, plan_id), ADD CONSTRAINT final_ratings_plan_id_key UNIQUE (plan_id);
ALTER TABLE competency_requirements DROP CONSTRAINT competency_requirements_pkey, ADD CONSTRAINT competency_requirements_pkey PRIMARY KEY (agency_id, position_id, competency_id);
ALTER TABLE competency_ratings DROP CONSTRAINT competency_ratings_pkey, ADD CONSTRAINT competency_ratings_pkey PRIMARY KEY (agency_id, assessment_id, competency_id);

-- Unique rules within an agency (the ids they name are unique nationally anyway).
ALTER TABLE evaluations DROP CONSTRAINT evaluations_plan_id_period_label_key, ADD CONSTRAINT evaluations_plan_id_period_label_key UNIQUE (agency_id, plan_id, period_label);
ALTER TABLE realizations DROP CONSTRAINT realizations_evaluation_id_indicator_id_key, ADD CONSTRAINT realizations_evaluation_id_indicator_id_key UNIQUE (agency_id, evaluation_id, indicator_id);
ALTER TABLE objections DROP CONSTRAINT objections_plan_id_key, ADD CONSTRAINT objections_plan_id_key UNIQUE (agency_id, plan_id);
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_employee_id_period_id_source_assesso_key, ADD CONSTRAINT competency_assessments_employee_id_period_id_source_assesso_key UNIQUE (agency_id, employee_id, period_id, source, assessor_user_id);
ALTER TABLE career_snapshots DROP CONSTRAINT career_snapshots_act_act_id_key, ADD CONSTRAINT career_snapshots_act_act_id_key UNIQUE (agency_id, act, act_id);
DROP INDEX performance_plans_current_idx;
CREATE UNIQUE INDEX performance_plans_current_idx ON performance_plans (agency_id, employee_id, period_id)
    WHERE superseded_by IS NULL;
ALTER TABLE acting_officials
    DROP CONSTRAINT acting_officials_employee_overlap,
    DROP CONSTRAINT acting_officials_position_overlap,
    ADD CONSTRAINT acting_officials_employee_overlap EXCLUDE USING gist
        (agency_id WITH =, for_employee_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (for_employee_id IS NOT NULL),
    ADD CONSTRAINT acting_officials_position_overlap EXCLUDE USING gist
        (agency_id WITH =, for_position_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (for_position_id IS NOT NULL);

-- References within an agency: (agency_id, x) → (agency_id, id).
ALTER TABLE employees ADD CONSTRAINT employees_unit_id_fkey FOREIGN KEY (agency_id, unit_id) REFERENCES units (agency_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_position_id_fkey FOREIGN KEY (agency_id, position_id) REFERENCES positions (agency_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_supervisor_id_fkey FOREIGN KEY (agency_id, supervisor_id) REFERENCES employees (agency_id, id);
ALTER TABLE units ADD CONSTRAINT units_parent_id_fkey FOREIGN KEY (agency_id, parent_id) REFERENCES units (agency_id, id);
ALTER TABLE positions ADD CONSTRAINT positions_unit_id_fkey FOREIGN KEY (agency_id, unit_id) REFERENCES units (agency_id, id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_period_id_fkey FOREIGN KEY (agency_id, period_id) REFERENCES periods (agency_id, id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_rater_id_fkey FOREIGN KEY (agency_id, rater_id) REFERENCES employees (agency_id, id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_rater_supervisor_id_fkey FOREIGN KEY (agency_id, rater_supervisor_id) REFERENCES employees (agency_id, id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_superseded_by_fkey FOREIGN KEY (agency_id, superseded_by) REFERENCES performance_plans (agency_id, id);
ALTER TABLE plan_results ADD CONSTRAINT plan_results_plan_id_fkey FOREIGN KEY (agency_id, plan_id) REFERENCES performance_plans (agency_id, id) ON DELETE CASCADE;
ALTER TABLE plan_results ADD CONSTRAINT plan_results_parent_result_id_fkey FOREIGN KEY (agency_id, parent_result_id) REFERENCES plan_results (agency_id, id);
ALTER TABLE plan_indicators ADD CONSTRAINT plan_indicators_result_id_fkey FOREIGN KEY (agency_id, result_id) REFERENCES plan_results (agency_id, id) ON DELETE CASCADE;
ALTER TABLE plan_indicators ADD CONSTRAINT plan_indicators_plan_id_fkey FOREIGN KEY (agency_id, plan_id) REFERENCES performance_plans (agency_id, id) ON DELETE CASCADE;
ALTER TABLE behaviour_expectations ADD CONSTRAINT behaviour_expectations_plan_id_fkey FOREIGN KEY (agency_id, plan_id) REFERENCES performance_plans (agency_id, id) ON DELETE CASCADE;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_plan_id_fkey FOREIGN KEY (agency_id, plan_id) REFERENCES performance_plans (agency_id, id);
ALTER TABLE evaluations ADD CONSTRAINT evaluations_rated_by_fkey FOREIGN KEY (agency_id, rated_by) REFERENCES employees (agency_id, id);
ALTER TABLE realizations ADD CONSTRAINT realizations_evaluation_id_fkey FOREIGN KEY (agency_id, evaluation_id) REFERENCES evaluations (agency_id, id) ON DELETE CASCADE;
ALTER TABLE realizations ADD CONSTRAINT realizations_indicator_id_fkey FOREIGN KEY (agency_id, indicator_id) REFERENCES plan_indicators (agency_id, id);
ALTER TABLE feedback ADD CONSTRAINT feedback_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE feedback ADD CONSTRAINT feedback_author_id_fkey FOREIGN KEY (agency_id, author_id) REFERENCES employees (agency_id, id);
ALTER TABLE feedback ADD CONSTRAINT feedback_period_id_fkey FOREIGN KEY (agency_id, period_id) REFERENCES periods (agency_id, id);
ALTER TABLE organisation_ratings ADD CONSTRAINT organisation_ratings_unit_id_fkey FOREIGN KEY (agency_id, unit_id) REFERENCES units (agency_id, id);
ALTER TABLE organisation_ratings ADD CONSTRAINT organisation_ratings_period_id_fkey FOREIGN KEY (agency_id, period_id) REFERENCES periods (agency_id, id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_plan_id_fkey FOREIGN KEY (agency_id, plan_id) REFERENCES performance_plans (agency_id, id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_period_id_fkey FOREIGN KEY (agency_id, period_id) REFERENCES periods (agency_id, id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_unit_id_fkey FOREIGN KEY (agency_id, unit_id) REFERENCES units (agency_id, id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_rated_by_fkey FOREIGN KEY (agency_id, rated_by) REFERENCES employees (agency_id, id);
ALTER TABLE objections ADD CONSTRAINT objections_plan_id_fkey FOREIGN KEY (agency_id, plan_id) REFERENCES final_ratings (agency_id, plan_id);
ALTER TABLE objections ADD CONSTRAINT objections_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE objections ADD CONSTRAINT objections_decider_id_fkey FOREIGN KEY (agency_id, decider_id) REFERENCES employees (agency_id, id);
ALTER TABLE objections ADD CONSTRAINT objections_decided_by_fkey FOREIGN KEY (agency_id, decided_by) REFERENCES employees (agency_id, id);
ALTER TABLE competency_requirements ADD CONSTRAINT competency_requirements_position_id_fkey FOREIGN KEY (agency_id, position_id) REFERENCES positions (agency_id, id) ON DELETE CASCADE;
ALTER TABLE competency_assessments ADD CONSTRAINT competency_assessments_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE competency_assessments ADD CONSTRAINT competency_assessments_assessor_employee_id_fkey FOREIGN KEY (agency_id, assessor_employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE competency_assessments ADD CONSTRAINT competency_assessments_period_id_fkey FOREIGN KEY (agency_id, period_id) REFERENCES periods (agency_id, id);
ALTER TABLE competency_ratings ADD CONSTRAINT competency_ratings_assessment_id_fkey FOREIGN KEY (agency_id, assessment_id) REFERENCES competency_assessments (agency_id, id) ON DELETE CASCADE;
ALTER TABLE development_activities ADD CONSTRAINT development_activities_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE development_activities ADD CONSTRAINT development_activities_mentor_id_fkey FOREIGN KEY (agency_id, mentor_id) REFERENCES employees (agency_id, id);
ALTER TABLE acting_officials ADD CONSTRAINT acting_officials_acting_id_fkey FOREIGN KEY (agency_id, acting_id) REFERENCES employees (agency_id, id);
ALTER TABLE acting_officials ADD CONSTRAINT acting_officials_for_employee_id_fkey FOREIGN KEY (agency_id, for_employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE acting_officials ADD CONSTRAINT acting_officials_for_position_id_fkey FOREIGN KEY (agency_id, for_position_id) REFERENCES positions (agency_id, id);
ALTER TABLE career_snapshots ADD CONSTRAINT career_snapshots_employee_id_fkey FOREIGN KEY (agency_id, employee_id) REFERENCES employees (agency_id, id);
ALTER TABLE career_snapshots ADD CONSTRAINT career_snapshots_period_id_fkey FOREIGN KEY (agency_id, period_id) REFERENCES periods (agency_id, id);
ALTER TABLE users ADD CONSTRAINT users_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);

-- The store names the agency of every child row.
DROP TRIGGER plan_results_agency ON plan_results;
DROP TRIGGER plan_indicators_agency ON plan_indicators;
DROP TRIGGER behaviour_expectations_agency ON behaviour_expectations;
DROP TRIGGER realizations_agency ON realizations;
DROP TRIGGER competency_ratings_agency ON competency_ratings;
DROP TRIGGER competency_requirements_agency ON competency_requirements;
DROP FUNCTION agency_of_parent();
