-- Back to single-column keys and the trigger that filled the child tables' agency.
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
ALTER TABLE acting_officials
    DROP CONSTRAINT acting_officials_employee_overlap,
    DROP CONSTRAINT acting_officials_position_overlap,
    ADD CONSTRAINT acting_officials_employee_overlap EXCLUDE USING gist
        (for_employee_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (for_employee_id IS NOT NULL),
    ADD CONSTRAINT acting_officials_position_overlap EXCLUDE USING gist
        (for_position_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (for_position_id IS NOT NULL);
DROP INDEX performance_plans_current_idx;
CREATE UNIQUE INDEX performance_plans_current_idx ON performance_plans (employee_id, period_id) WHERE superseded_by IS NULL;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_plan_id_period_label_key, ADD CONSTRAINT evaluations_plan_id_period_label_key UNIQUE (plan_id, period_label);
ALTER TABLE realizations DROP CONSTRAINT realizations_evaluation_id_indicator_id_key, ADD CONSTRAINT realizations_evaluation_id_indicator_id_key UNIQUE (evaluation_id, indicator_id);
ALTER TABLE objections DROP CONSTRAINT objections_plan_id_key, ADD CONSTRAINT objections_plan_id_key UNIQUE (plan_id);
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_employee_id_period_id_source_assesso_key, ADD CONSTRAINT competency_assessments_employee_id_period_id_source_assesso_key UNIQUE (employee_id, period_id, source, assessor_user_id);
ALTER TABLE career_snapshots DROP CONSTRAINT career_snapshots_act_act_id_key, ADD CONSTRAINT career_snapshots_act_act_id_key UNIQUE (act, act_id);
ALTER TABLE behaviour_expectations DROP CONSTRAINT behaviour_expectations_pkey, ADD CONSTRAINT behaviour_expectations_pkey PRIMARY KEY (plan_id, value);
ALTER TABLE organisation_ratings DROP CONSTRAINT organisation_ratings_pkey, ADD CONSTRAINT organisation_ratings_pkey PRIMARY KEY (unit_id, period_id);
ALTER TABLE final_ratings DROP CONSTRAINT final_ratings_pkey, DROP CONSTRAINT final_ratings_plan_id_key, ADD CONSTRAINT final_ratings_pkey PRIMARY KEY (plan_id);
ALTER TABLE competency_requirements DROP CONSTRAINT competency_requirements_pkey, ADD CONSTRAINT competency_requirements_pkey PRIMARY KEY (position_id, competency_id);
ALTER TABLE competency_ratings DROP CONSTRAINT competency_ratings_pkey, ADD CONSTRAINT competency_ratings_pkey PRIMARY KEY (assessment_id, competency_id);
ALTER TABLE employees DROP CONSTRAINT employees_pkey, DROP CONSTRAINT employees_id_key, ADD CONSTRAINT employees_pkey PRIMARY KEY (id);
ALTER TABLE units DROP CONSTRAINT units_pkey, DROP CONSTRAINT units_id_key, ADD CONSTRAINT units_pkey PRIMARY KEY (id);
ALTER TABLE positions DROP CONSTRAINT positions_pkey, DROP CONSTRAINT positions_id_key, ADD CONSTRAINT positions_pkey PRIMARY KEY (id);
ALTER TABLE periods DROP CONSTRAINT periods_pkey, DROP CONSTRAINT periods_id_key, ADD CONSTRAINT periods_pkey PRIMARY KEY (id);
ALTER TABLE clients DROP CONSTRAINT clients_pkey, DROP CONSTRAINT clients_id_key, ADD CONSTRAINT clients_pkey PRIMARY KEY (id);
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_pkey, DROP CONSTRAINT performance_plans_id_key, ADD CONSTRAINT performance_plans_pkey PRIMARY KEY (id);
ALTER TABLE plan_results DROP CONSTRAINT plan_results_pkey, DROP CONSTRAINT plan_results_id_key, ADD CONSTRAINT plan_results_pkey PRIMARY KEY (id);
ALTER TABLE plan_indicators DROP CONSTRAINT plan_indicators_pkey, DROP CONSTRAINT plan_indicators_id_key, ADD CONSTRAINT plan_indicators_pkey PRIMARY KEY (id);
ALTER TABLE evaluations DROP CONSTRAINT evaluations_pkey, DROP CONSTRAINT evaluations_id_key, ADD CONSTRAINT evaluations_pkey PRIMARY KEY (id);
ALTER TABLE realizations DROP CONSTRAINT realizations_pkey, DROP CONSTRAINT realizations_id_key, ADD CONSTRAINT realizations_pkey PRIMARY KEY (id);
ALTER TABLE feedback DROP CONSTRAINT feedback_pkey, DROP CONSTRAINT feedback_id_key, ADD CONSTRAINT feedback_pkey PRIMARY KEY (id);
ALTER TABLE objections DROP CONSTRAINT objections_pkey, DROP CONSTRAINT objections_id_key, ADD CONSTRAINT objections_pkey PRIMARY KEY (id);
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_pkey, DROP CONSTRAINT competency_assessments_id_key, ADD CONSTRAINT competency_assessments_pkey PRIMARY KEY (id);
ALTER TABLE development_activities DROP CONSTRAINT development_activities_pkey, DROP CONSTRAINT development_activities_id_key, ADD CONSTRAINT development_activities_pkey PRIMARY KEY (id);
ALTER TABLE acting_officials DROP CONSTRAINT acting_officials_pkey, DROP CONSTRAINT acting_officials_id_key, ADD CONSTRAINT acting_officials_pkey PRIMARY KEY (id);
ALTER TABLE career_snapshots DROP CONSTRAINT career_snapshots_pkey, DROP CONSTRAINT career_snapshots_id_key, ADD CONSTRAINT career_snapshots_pkey PRIMARY KEY (id);
CREATE INDEX employees_agency_idx ON employees (agency_id, id);
CREATE INDEX units_agency_idx ON units (agency_id, id);
CREATE INDEX positions_agency_idx ON positions (agency_id, id);
CREATE INDEX periods_agency_idx ON periods (agency_id, id);
CREATE INDEX clients_agency_idx ON clients (agency_id, id);
CREATE INDEX performance_plans_agency_idx ON performance_plans (agency_id, id);
CREATE INDEX evaluations_agency_idx ON evaluations (agency_id, id);
CREATE INDEX objections_agency_idx ON objections (agency_id, id);
CREATE INDEX acting_officials_agency_idx ON acting_officials (agency_id, id);
ALTER TABLE employees ADD CONSTRAINT employees_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES units (id);
ALTER TABLE employees ADD CONSTRAINT employees_position_id_fkey FOREIGN KEY (position_id) REFERENCES positions (id);
ALTER TABLE employees ADD CONSTRAINT employees_supervisor_id_fkey FOREIGN KEY (supervisor_id) REFERENCES employees (id);
ALTER TABLE units ADD CONSTRAINT units_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES units (id);
ALTER TABLE positions ADD CONSTRAINT positions_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES units (id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_period_id_fkey FOREIGN KEY (period_id) REFERENCES periods (id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_rater_id_fkey FOREIGN KEY (rater_id) REFERENCES employees (id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_rater_supervisor_id_fkey FOREIGN KEY (rater_supervisor_id) REFERENCES employees (id);
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_superseded_by_fkey FOREIGN KEY (superseded_by) REFERENCES performance_plans (id);
ALTER TABLE plan_results ADD CONSTRAINT plan_results_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES performance_plans (id) ON DELETE CASCADE;
ALTER TABLE plan_results ADD CONSTRAINT plan_results_parent_result_id_fkey FOREIGN KEY (parent_result_id) REFERENCES plan_results (id);
ALTER TABLE plan_indicators ADD CONSTRAINT plan_indicators_result_id_fkey FOREIGN KEY (result_id) REFERENCES plan_results (id) ON DELETE CASCADE;
ALTER TABLE plan_indicators ADD CONSTRAINT plan_indicators_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES performance_plans (id) ON DELETE CASCADE;
ALTER TABLE behaviour_expectations ADD CONSTRAINT behaviour_expectations_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES performance_plans (id) ON DELETE CASCADE;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES performance_plans (id);
ALTER TABLE evaluations ADD CONSTRAINT evaluations_rated_by_fkey FOREIGN KEY (rated_by) REFERENCES employees (id);
ALTER TABLE realizations ADD CONSTRAINT realizations_evaluation_id_fkey FOREIGN KEY (evaluation_id) REFERENCES evaluations (id) ON DELETE CASCADE;
ALTER TABLE realizations ADD CONSTRAINT realizations_indicator_id_fkey FOREIGN KEY (indicator_id) REFERENCES plan_indicators (id);
ALTER TABLE feedback ADD CONSTRAINT feedback_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE feedback ADD CONSTRAINT feedback_author_id_fkey FOREIGN KEY (author_id) REFERENCES employees (id);
ALTER TABLE feedback ADD CONSTRAINT feedback_period_id_fkey FOREIGN KEY (period_id) REFERENCES periods (id);
ALTER TABLE organisation_ratings ADD CONSTRAINT organisation_ratings_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES units (id);
ALTER TABLE organisation_ratings ADD CONSTRAINT organisation_ratings_period_id_fkey FOREIGN KEY (period_id) REFERENCES periods (id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES performance_plans (id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_period_id_fkey FOREIGN KEY (period_id) REFERENCES periods (id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES units (id);
ALTER TABLE final_ratings ADD CONSTRAINT final_ratings_rated_by_fkey FOREIGN KEY (rated_by) REFERENCES employees (id);
ALTER TABLE objections ADD CONSTRAINT objections_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES final_ratings (plan_id);
ALTER TABLE objections ADD CONSTRAINT objections_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE objections ADD CONSTRAINT objections_decider_id_fkey FOREIGN KEY (decider_id) REFERENCES employees (id);
ALTER TABLE objections ADD CONSTRAINT objections_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES employees (id);
ALTER TABLE competency_requirements ADD CONSTRAINT competency_requirements_position_id_fkey FOREIGN KEY (position_id) REFERENCES positions (id) ON DELETE CASCADE;
ALTER TABLE competency_assessments ADD CONSTRAINT competency_assessments_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE competency_assessments ADD CONSTRAINT competency_assessments_assessor_employee_id_fkey FOREIGN KEY (assessor_employee_id) REFERENCES employees (id);
ALTER TABLE competency_assessments ADD CONSTRAINT competency_assessments_period_id_fkey FOREIGN KEY (period_id) REFERENCES periods (id);
ALTER TABLE competency_ratings ADD CONSTRAINT competency_ratings_assessment_id_fkey FOREIGN KEY (assessment_id) REFERENCES competency_assessments (id) ON DELETE CASCADE;
ALTER TABLE development_activities ADD CONSTRAINT development_activities_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE development_activities ADD CONSTRAINT development_activities_mentor_id_fkey FOREIGN KEY (mentor_id) REFERENCES employees (id);
ALTER TABLE acting_officials ADD CONSTRAINT acting_officials_acting_id_fkey FOREIGN KEY (acting_id) REFERENCES employees (id);
ALTER TABLE acting_officials ADD CONSTRAINT acting_officials_for_employee_id_fkey FOREIGN KEY (for_employee_id) REFERENCES employees (id);
ALTER TABLE acting_officials ADD CONSTRAINT acting_officials_for_position_id_fkey FOREIGN KEY (for_position_id) REFERENCES positions (id);
ALTER TABLE career_snapshots ADD CONSTRAINT career_snapshots_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
ALTER TABLE career_snapshots ADD CONSTRAINT career_snapshots_period_id_fkey FOREIGN KEY (period_id) REFERENCES periods (id);
ALTER TABLE users ADD CONSTRAINT users_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id);
CREATE FUNCTION agency_of_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_agency uuid;
BEGIN
    -- Static queries, one per parent: plpgsql keeps their plans, so the lookup costs about what
    -- a foreign key check does (dynamic SQL re-planned per row cost 3.6 times a plain insert).
    CASE TG_TABLE_NAME
        WHEN 'plan_results', 'plan_indicators', 'behaviour_expectations' THEN
            SELECT agency_id INTO parent_agency FROM performance_plans WHERE id = NEW.plan_id;
        WHEN 'realizations' THEN
            SELECT agency_id INTO parent_agency FROM evaluations WHERE id = NEW.evaluation_id;
        WHEN 'competency_ratings' THEN
            SELECT agency_id INTO parent_agency FROM competency_assessments WHERE id = NEW.assessment_id;
        WHEN 'competency_requirements' THEN
            SELECT agency_id INTO parent_agency FROM positions WHERE id = NEW.position_id;
    END CASE;
    IF NEW.agency_id IS NULL THEN
        NEW.agency_id := parent_agency;
    -- A parent written by the same statement (an import's new evaluations) is not visible yet:
    -- the writer names the agency then, and the parent's foreign key still holds the row.
    ELSIF parent_agency IS NOT NULL AND parent_agency <> NEW.agency_id THEN
        RAISE EXCEPTION 'agency_id % is not the agency of its %', NEW.agency_id, TG_ARGV[0]
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER plan_results_agency BEFORE INSERT ON plan_results FOR EACH ROW EXECUTE FUNCTION agency_of_parent('performance_plans');
CREATE TRIGGER plan_indicators_agency BEFORE INSERT ON plan_indicators FOR EACH ROW EXECUTE FUNCTION agency_of_parent('performance_plans');
CREATE TRIGGER behaviour_expectations_agency BEFORE INSERT ON behaviour_expectations FOR EACH ROW EXECUTE FUNCTION agency_of_parent('performance_plans');
CREATE TRIGGER realizations_agency BEFORE INSERT ON realizations FOR EACH ROW EXECUTE FUNCTION agency_of_parent('evaluations');
CREATE TRIGGER competency_ratings_agency BEFORE INSERT ON competency_ratings FOR EACH ROW EXECUTE FUNCTION agency_of_parent('competency_assessments');
CREATE TRIGGER competency_requirements_agency BEFORE INSERT ON competency_requirements FOR EACH ROW EXECUTE FUNCTION agency_of_parent('positions');
