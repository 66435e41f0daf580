DELETE FROM competency_assessments WHERE source = 'subordinate';
ALTER TABLE competency_assessments DROP CONSTRAINT competency_assessments_source_check,
    ADD CONSTRAINT competency_assessments_source_check CHECK (source IN ('self', 'supervisor', 'peer', 'assessor'));
