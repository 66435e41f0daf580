-- 360° from below: those an employee supervises directly assess them too (anonymous, like peers).
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_source_check,
    ADD CONSTRAINT competency_assessments_source_check
        CHECK (source IN ('self', 'supervisor', 'peer', 'assessor', 'subordinate'));
