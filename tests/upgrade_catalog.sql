-- tests/upgrade_catalog.sql: what extension ritual consists of (its member
-- objects and their parts), one line per object or property, without OIDs,
-- so that two databases compare as text.
-- tests/upgrade.sh diffs an upgraded installation against a fresh one.
\pset format unaligned
\pset tuples_only on
WITH ext AS (
    SELECT oid, extversion, extconfig, extcondition FROM pg_extension WHERE extname = 'ritual'
), schema AS (
    SELECT oid, nspacl FROM pg_namespace WHERE nspname = 'ritual'
), members AS (
    SELECT d.classid, d.objid, d.objsubid
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rels AS (
    SELECT c.oid, c.relname, c.relkind
      FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
), lines(line) AS (
    SELECT 'version ' || extversion FROM ext
    UNION ALL
    SELECT 'config ' || cfg::regclass::text || ' ' || coalesce(cond, '')
      FROM ext, unnest(extconfig, extcondition) AS u(cfg, cond)
    UNION ALL
    SELECT 'member ' || pg_describe_object(classid, objid, objsubid) FROM members
    UNION ALL
    SELECT 'schema acl ' || coalesce(nspacl::text, '') || ' comment '
           || coalesce(obj_description(oid, 'pg_namespace'), '')
      FROM schema
    UNION ALL
    SELECT format('relation %s kind %s persistence %s rls %s/%s acl %s options %s comment %s',
                  c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
                  coalesce(c.relacl::text, ''), coalesce(c.reloptions::text, ''),
                  coalesce(obj_description(c.oid, 'pg_class'), ''))
      FROM pg_class c JOIN rels r ON r.oid = c.oid
    UNION ALL
    -- columns in their order, by rank: a dropped column leaves a gap in attnum
    SELECT format('column %s.%s #%s %s notnull %s default %s identity %s generated %s collation %s acl %s comment %s',
                  r.relname, a.attname,
                  rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  coalesce(pg_get_expr(ad.adbin, ad.adrelid), ''), a.attidentity, a.attgenerated,
                  coalesce(co.collname, ''), coalesce(a.attacl::text, ''),
                  coalesce(col_description(a.attrelid, a.attnum), ''))
      FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s.%s %s deferrable %s/%s', r.relname, con.conname,
                  pg_get_constraintdef(con.oid), con.condeferrable, con.condeferred)
      FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN rels r ON r.oid = i.indrelid
    UNION ALL
    SELECT format('view %s %s', r.relname, pg_get_viewdef(r.oid))
      FROM rels r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid)
      FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %s.%s cmd %s permissive %s roles %s using %s check %s',
                  r.relname, p.polname, p.polcmd, p.polpermissive,
                  (SELECT string_agg(CASE WHEN rl = 0 THEN 'public' ELSE rl::regrole::text END, ','
                                     ORDER BY 1)
                     FROM unnest(p.polroles) rl),
                  coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
                  coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))
      FROM pg_policy p JOIN rels r ON r.oid = p.polrelid
    UNION ALL
    SELECT format('function %s(%s) acl %s comment %s definition %s',
                  p.proname, pg_get_function_identity_arguments(p.oid),
                  coalesce(p.proacl::text, ''), coalesce(obj_description(p.oid, 'pg_proc'), ''),
                  CASE WHEN p.prokind = 'a'
                       THEN (SELECT format('aggregate sfunc %s stype %s final %s init %s',
                                           ag.aggtransfn, format_type(ag.aggtranstype, NULL),
                                           ag.aggfinalfn, ag.agginitval)
                               FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
                       ELSE pg_get_functiondef(p.oid) END)
      FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('type %s %s', t.typname, t.typtype)
      FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT format('wrapper %s handler %s validator %s acl %s options %s comment %s',
                  w.fdwname, w.fdwhandler::regproc, w.fdwvalidator::regproc,
                  coalesce(w.fdwacl::text, ''), coalesce(w.fdwoptions::text, ''),
                  coalesce(obj_description(w.oid, 'pg_foreign_data_wrapper'), ''))
      FROM pg_foreign_data_wrapper w WHERE w.fdwname = 'ritual_fdw'
)
SELECT line FROM lines ORDER BY line COLLATE "C";
