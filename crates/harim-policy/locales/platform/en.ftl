# harim-policy: the platform's own policy for its merchants, English. Every message here must
# exist in the fa, ar and sq files beside this one. Ids start with `pp-`; the section titles,
# countries, roles, authorities and `days` come from the shop policy's file of the same locale.

## Page frame
pp-title = { $shop } privacy policy for merchants
pp-intro = This policy is for the people who run shops on { $shop }: shop owners, their staff and anyone who signs up. It lists every kind of personal data the platform keeps about you, why, on what legal basis, who else receives it, how long it is kept, and how you can see, take away or erase it. What each shop does with its own customers' data is in that shop's own policy.
pp-footer = { $platform } generated this policy from its configuration and from its data map, the same declaration that drives its exports, erasures and retention job.

## Controller
pp-controller-identity = The controller of your personal data is { $operator }, the operator of { $platform }.
pp-controller-country = The operator is established in { $country }.
pp-controller-registration = { $home ->
    [al] NUIS (Albanian business identification number): { $number }.
    [sa] Commercial registration number: { $number }.
   *[other] Company registration number: { $number }.
}
pp-controller-dpo = The operator's data protection officer can be reached at { $email }.
pp-controller-shops = Each shop decides on its own what it does with its customers' data, and { $platform } handles that data only on the shop's instructions. This policy is about your data as a merchant, not your customers' data.

## Data, purpose and legal basis
pp-data-intro = The platform keeps the following data. For each kind you will find why it is kept and on what legal basis.
pp-data-row = { $category }: { $purpose } Legal basis: { $bases }.
pp-data-row-fields = { $category } ({ $fields }): { $purpose } Legal basis: { $bases }.
pp-basis-contract = performing the contract with you
pp-basis-legal-obligation = a legal obligation
pp-basis-legitimate-interest = the operator's legitimate interest in a secure service

pp-cat-account = Your account
pp-purpose-account = your sign-in e-mail address, an optional display name and a password hash, so that you can sign in and be reached about your account. The password itself is never stored.
pp-cat-sessions = Sign-in sessions and sign-in attempts
pp-purpose-sessions = to keep you signed in and to slow down password guessing. Only hashes of session tokens, client addresses and e-mail addresses are stored.
pp-cat-shop = Your shop
pp-purpose-shop = its name, address on the platform and default language, to run the shop.
pp-cat-members = Shop staff
pp-purpose-members = who works in which shop and with which role, so that each person can do exactly what the owner allowed.
pp-cat-api-keys = API keys
pp-purpose-api-keys = the name, role and hash of each key, and when it was last used, for programmatic access to the shop. The key itself is never stored.
pp-cat-invitations = Staff invitations
pp-purpose-invitations = the invited e-mail address and role, so that the person can join the shop.
pp-cat-identity = The shop owner's registered identity
pp-purpose-identity = for know-your-customer checks that the law requires before a shop takes payments, and for paying out the shop's revenue.
pp-cat-tenant-keys = Your shop's encryption key
pp-purpose-tenant-keys = every encrypted item of the shop can be read only through it. It is itself encrypted under the platform's root key.
pp-cat-documents = Identity documents
pp-purpose-documents = to verify the shop owner's identity. Location and camera data are removed from images when they are uploaded.
pp-cat-privacy-settings = Your shop's privacy settings
pp-purpose-privacy-settings = to write your shop's privacy policy; they name you as the controller and hold your contact details.
pp-cat-policy-versions = Published versions of your shop's privacy policy
pp-purpose-policy-versions = so that every version your customers were shown can be proved later.
pp-cat-audit-log = Audit trail
pp-purpose-audit-log = a record of who saw or changed which personal data, when and for what purpose. It names fields and pseudonymous ids, never the values, and a keyed hash chain shows that no entry was altered or removed.
pp-cat-data-requests = Your data requests
pp-purpose-data-requests = to carry out and prove your exports and erasures: the request, its deadline, the export archive until it expires, and the signed erasure receipt, which holds no personal data.

pp-field-full-name = full name
pp-field-national-id = national ID number
pp-field-iban = { $home ->
    [ir] bank account number (Sheba)
   *[other] bank account number (IBAN)
}
pp-field-birth-date = date of birth
pp-field-phone = phone number
pp-field-email = e-mail address
pp-field-address = postal address
pp-field-postal-code = postal code
pp-field-country = country
pp-field-national-id-front = front of the national ID card
pp-field-national-id-back = back of the national ID card
pp-field-selfie = a photo of the owner holding the ID card
pp-field-business-license = business licence

## Recipients
pp-recipients-hosting = { $name }: hosts the platform's servers, database and file storage ({ $country }).
pp-recipients-processor = { $name }: { $role } on the operator's behalf ({ $country }).
pp-recipients-reviewers = The operator's reviewers see the registered identity and the identity documents to decide on them. Each time they open a document, the view and its purpose are recorded in your shop's audit trail.
pp-recipients-shop-owner = The owner of a shop sees the e-mail address and role of each person working in it.
pp-recipients-authorities = Courts, the police, tax offices and other public authorities, only on a lawful order or where the law requires it.

## Transfers
pp-transfers-intro = Some recipients work outside { $country }, so your data may be transferred to:
pp-transfers-row = { $recipient }: { $country }
pp-transfers-safeguards = { $home ->
    [sa] Each transfer outside the Kingdom rests on a ground of the Regulation on Personal Data Transfer outside the Kingdom: a destination whose level of protection has been found adequate, or appropriate safeguards such as standard contractual clauses where it has not.
    [al] Each transfer goes to a country with an adequate level of protection or, where there is none, takes place only with the authorisation of the Information and Data Protection Commissioner, as Law No. 124/2024 requires.
    [eu] Each transfer goes to a country covered by an adequacy decision of the European Commission or rests on the Commission's standard contractual clauses.
    [ae] Each transfer goes to a country with adequate protection or rests on contractual safeguards, as Federal Decree-Law No. 45 of 2021 provides.
   *[other] These transfers rely on the recipients' data protection terms.
} You can ask for a copy of the safeguards at { $email }.

## Retention
pp-retention-intro = Each kind of data is kept only as long as stated below. The platform's retention job deletes it when the time is up; the same configured numbers drive that job and this page.
pp-retention-row = { $category }: { $period }.
pp-retention-part = { $category } ({ $part }): { $period }.
pp-part-sessions = sessions
pp-part-login-attempts = counters of sign-in attempts
pp-part-audit-log = entries
pp-part-account-residue = what still names an erased account
pp-part-service-log = the service log
pp-part-data-requests = export archives
pp-retention-backups = Encrypted backups are overwritten after { $period }. Until then they may still hold erased data, but data that was erased by destroying its key cannot be read from them.
pp-period-while-account = until you erase your account
pp-period-while-shop = until the shop is erased
pp-period-kyc-setting = for as long as the shop's privacy settings say after the review decision ({ $period } unless the owner sets another period)
pp-period-as-proof = the record of each request, without personal data, is kept as proof that it was carried out
pp-period-operator-logs = { $period } in the operator's log system; it holds request ids and routes, never a value you entered
pp-after-created = { $period } after creation
pp-after-last-use = { $period } after the last use
pp-after-decision = { $period } after the review decision
pp-after-ready = { $period } after the archive is ready
pp-after-shop-erasure = { $period } after the shop is erased
pp-after-account-erasure = { $period } after the account is erased

## Rights
pp-rights-intro = You can exercise these rights yourself in your account settings, or by writing to the operator.
pp-rights-access = Access: ask, in your account settings, for a copy of everything the platform keeps about you, and of everything about a shop you own. The archive is ready within the response time below and can be downloaded until it expires.
pp-rights-rectify = Rectification: correct your registered identity in your shop's settings, and anything else in your account settings or by writing to the operator.
pp-rights-erase = Erasure: erase your account, or a shop you own, in your account settings. The data is made unreadable at once by destroying its encryption key, then deleted. You receive a signed receipt that anyone can verify with the platform. What the law requires the operator to keep is listed in the receipt, with the date it ends.
pp-rights-restrict = Restriction: ask the operator to keep your data but not otherwise use it while you contest its accuracy, when its use is unlawful but you prefer restriction to erasure, when the operator no longer needs it but you need it for a legal claim, or while an objection is being decided.
pp-rights-object = Objection: object to the use of your data that rests on the operator's legitimate interest; it stops unless there are compelling legitimate grounds that override your interests.
pp-rights-portability = Portability: the export is a ZIP archive of JSON files and the original documents, so you can take your data to another service.
pp-rights-how = For anything else write to { $email }. The operator answers within { $period }.
pp-rights-complain = You can also complain to { $authority }.
pp-rights-complain-url = You can also complain to { $authority }, whose website is { $url }.

## Security
pp-security-transport = Every page and request travels over an encrypted connection (HTTPS).
pp-security-encryption = The registered identity, the identity documents and shop exports are encrypted with a key that belongs to their shop alone, so erasing a shop destroys that key and leaves nothing of them readable.
pp-security-hsm = The platform's root keys are kept in a hardware security module and never leave it.
pp-security-audit = Each time someone reveals your full identity or downloads one of your documents, the access and its purpose are recorded before anything is decrypted. Other screens show identity fields only masked.
pp-security-documents = Uploaded documents are checked to be real images or PDFs; metadata such as location is removed from images, and PDFs with scripts, forms or attachments are refused.
pp-security-breach = No system is perfectly secure. If a breach puts your rights at risk, the operator will inform the authorities, and you too, as the law requires.

## Changes
pp-changes = When the platform's data handling changes, a new version of this policy is published on this page with its date and a list of what changed; earlier versions stay listed below.

## Contact
pp-contact-email = Privacy questions: { $email }
pp-contact-dpo = Data protection officer: { $email }

## For developers
pp-dev-intro = The account settings described above carry out each right through these requests of the platform's HTTP interface; integrations and the shop's own tools can call them directly.
pp-dev-route = { $what }: { $route }
pp-dev-account-export = a copy of your account
pp-dev-shop-export = a copy of a shop
pp-dev-identity-update = correcting the registered identity
pp-dev-account-erasure = erasing your account
pp-dev-shop-erasure = erasing a shop
pp-dev-receipt = verifying an erasure receipt

## Change descriptions
pp-change-operator = The operator's details changed.
pp-change-hosting = The platform is now hosted by { $name } in { $country }.
pp-change-processor-added = New processor: { $name } ({ $role }).
pp-change-processor-removed = Processor removed: { $name } ({ $role }).
pp-change-data-added = The platform now keeps: { $category }.
pp-change-data-removed = The platform no longer keeps: { $category }.
pp-change-data-changed = What is kept, why or on what basis changed for: { $category }.
pp-change-retention = How long it is kept changed for: { $category }.
pp-change-backups = Backups are now overwritten after { $to } instead of { $from }.
pp-change-logs = The service log is now kept { $to } instead of { $from }.
pp-change-response-time = The time to answer a request changed from { $from } to { $to }.
pp-change-hsm-on = Root keys are now kept in a hardware security module.
pp-change-hsm-off = Root keys are no longer kept in a hardware security module.
pp-change-routes = The requests that carry out your rights changed.
