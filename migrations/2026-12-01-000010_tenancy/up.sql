-- Every agency-owned table carries its agency (docs/scaling.md): the six tables that reached it
-- through their parent get `agency_id`, filled from the parent, NOT NULL. A row written without
-- it takes the parent's (one trigger function for the six); a row naming another agency than its
-- parent's is refused.

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

ALTER TABLE plan_results ADD COLUMN agency_id uuid REFERENCES agencies (id);
UPDATE plan_results c SET agency_id = p.agency_id FROM performance_plans p WHERE p.id = c.plan_id;
ALTER TABLE plan_results ALTER COLUMN agency_id SET NOT NULL;
CREATE TRIGGER plan_results_agency BEFORE INSERT ON plan_results
    FOR EACH ROW EXECUTE FUNCTION agency_of_parent('performance_plans');

ALTER TABLE plan_indicators ADD COLUMN agency_id uuid REFERENCES agencies (id);
UPDATE plan_indicators c SET agency_id = p.agency_id FROM performance_plans p WHERE p.id = c.plan_id;
ALTER TABLE plan_indicators ALTER COLUMN agency_id SET NOT NULL;
CREATE TRIGGER plan_indicators_agency BEFORE INSERT ON plan_indicators
    FOR EACH ROW EXECUTE FUNCTION agency_of_parent('performance_plans');

ALTER TABLE behaviour_expectations ADD COLUMN agency_id uuid REFERENCES agencies (id);
UPDATE behaviour_expectations c SET agency_id = p.agency_id FROM performance_plans p WHERE p.id = c.plan_id;
ALTER TABLE behaviour_expectations ALTER COLUMN agency_id SET NOT NULL;
CREATE TRIGGER behaviour_expectations_agency BEFORE INSERT ON behaviour_expectations
    FOR EACH ROW EXECUTE FUNCTION agency_of_parent('performance_plans');

ALTER TABLE realizations ADD COLUMN agency_id uuid REFERENCES agencies (id);
UPDATE realizations c SET agency_id = e.agency_id FROM evaluations e WHERE e.id = c.evaluation_id;
ALTER TABLE realizations ALTER COLUMN agency_id SET NOT NULL;
CREATE TRIGGER realizations_agency BEFORE INSERT ON realizations
    FOR EACH ROW EXECUTE FUNCTION agency_of_parent('evaluations');

ALTER TABLE competency_ratings ADD COLUMN agency_id uuid REFERENCES agencies (id);
UPDATE competency_ratings c SET agency_id = a.agency_id FROM competency_assessments a WHERE a.id = c.assessment_id;
ALTER TABLE competency_ratings ALTER COLUMN agency_id SET NOT NULL;
CREATE TRIGGER competency_ratings_agency BEFORE INSERT ON competency_ratings
    FOR EACH ROW EXECUTE FUNCTION agency_of_parent('competency_assessments');

ALTER TABLE competency_requirements ADD COLUMN agency_id uuid REFERENCES agencies (id);
UPDATE competency_requirements c SET agency_id = p.agency_id FROM positions p WHERE p.id = c.position_id;
ALTER TABLE competency_requirements ALTER COLUMN agency_id SET NOT NULL;
CREATE TRIGGER competency_requirements_agency BEFORE INSERT ON competency_requirements
    FOR EACH ROW EXECUTE FUNCTION agency_of_parent('positions');
