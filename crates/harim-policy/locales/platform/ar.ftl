# harim-policy: the platform's own policy for merchants (ar).
