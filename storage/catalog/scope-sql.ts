// "Access User's Own and Group Calls": the users whose calls @scopeUser sees: itself, and every
// member of a group it manages (seed 003 Managed Groups) or its access profile selects (seed 000
// "Select Groups"; the profile is the user's own, else its role's default, see migration 10).
export const GROUP_USERS_SQL = `SELECT @scopeUser
  UNION SELECT gm.user_id FROM group_members gm WHERE gm.group_id IN (
    SELECT gk.group_id FROM group_managers gk WHERE gk.user_id = @scopeUser
    UNION SELECT pg.group_id FROM access_profile_groups pg WHERE pg.profile_id = (
      SELECT coalesce(u.access_profile_id,
        (SELECT d.id FROM access_profiles d WHERE d.default_for_role = CASE WHEN u.system_admin = 1 THEN 'sysadmin' ELSE u.role END))
      FROM users u WHERE u.id = @scopeUser))`;
