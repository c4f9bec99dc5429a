# harim-policy: English. Every message here must exist in fa.ftl, ar.ftl and sq.ftl too.
# Arguments ending in a number type ($period, $age ...) are already localised text.

## Page frame
title = Privacy policy of { $shop }
intro = This policy explains which personal data the online shop { $shop } collects from its customers, why, who receives it, how long it is kept and what rights you have.
last-updated = Last updated: { $date } (version { $version })
toc = Contents
history-title = Update history
history-entry = Version { $version }
history-first = First published version.
footer = { $platform } generated this policy from the shop's current privacy settings, the same settings that control how the shop handles your data.
# Durations: $count is the CLDR plural category of the number (from ICU4X), $t the number in
# the locale's digits, $case `nom` or `obl` (the form after "within"/"from"; English has one).
days = { $count ->
    [one] { $t } day
   *[other] { $t } days
}
months = { $count ->
    [one] { $t } month
   *[other] { $t } months
}
years = { $count ->
    [one] { $t } year
   *[other] { $t } years
}
hours = { $count ->
    [one] { $t } hour
   *[other] { $t } hours
}
# One to nine in words in running text: $n is `n1`..`n9`, $t the digits, $unit the noun's
# message (`days`, `years`...), for languages whose numerals agree with it.
spelled = { $n ->
    [n1] one
    [n2] two
    [n3] three
    [n4] four
    [n5] five
    [n6] six
    [n7] seven
    [n8] eight
    [n9] nine
   *[other] { $t }
}
date-with-gregorian = { $date } / { $gregorian }

## Section titles
section-controller = The controller
section-data = Personal data collected
section-purposes = Purposes and legal bases
section-recipients = Recipients
section-transfers = Transfers to other countries
section-retention = Retention
section-rights = Your rights
section-cookies = Cookies
section-children = Minimum age
section-security = Security
section-changes = Changes to this policy
section-contact = Contact
section-other = Other matters
section-developers = For developers: the requests behind each right

## Controller
controller-identity = The online shop { $shop } is run by { $legal_name }, the controller of your personal data.
controller-country = The controller is established in { $country }.
controller-registration = { $home ->
    [al] NUIS (Albanian business identification number): { $number }.
    [sa] Commercial registration number: { $number }.
   *[other] Registration number: { $number }.
}
controller-vat = VAT registration number: { $number }.
controller-enamad = The shop holds the eNamad trust badge of Iran's Centre for E-Commerce Development, shown on its pages.
law-statute = { $home ->
    [sa] This policy is governed by the laws of the Kingdom of Saudi Arabia, in particular the Personal Data Protection Law issued by Royal Decree No. M/19 of 9/2/1443 AH (16 September 2021) and its Implementing Regulation.
    [al] This policy is issued under Law No. 124/2024 "On the protection of personal data" of the Republic of Albania.
    [ir] This policy follows the Electronic Commerce Law of the Islamic Republic of Iran, in particular Articles 58 and 59 on personal data.
    [ae] This policy follows Federal Decree-Law No. 45 of 2021 on the Protection of Personal Data of the United Arab Emirates.
    [eu] This policy follows the General Data Protection Regulation (EU) 2016/679.
   *[other] This policy follows the data protection law of the country where the controller is established.
} If the language versions of this policy differ, the { $language } version prevails.
controller-platform = The shop is built and hosted on { $platform }. { $platform } handles customer data only on the shop's instructions, as its processor.
controller-dpo = You can reach the data protection officer at { $email }.

## Data
data-intro = You give the shop the following data when you order. Items marked as required are needed to accept your order; you may leave out the others.
data-generated-intro = The following data is not typed in by you: the shop's systems record it as you use the shop and order.
data-row-generated = { $category }: { $purpose }
data-row = { $category } ({ $need ->
    [required] required
   *[optional] optional
}): { $purpose }
data-consequences = If you do not give the required data, the shop cannot accept, deliver or support your order. Nothing else follows from refusing.
cat-name = Full name
cat-email = E-mail address
cat-phone = Phone number
cat-address = Address
cat-postal-code = Postal code
cat-order-history = Order history
cat-payment-reference = Payment reference
cat-ip-address = IP address
cat-device-cookies = Device and cookie data
# Where the document first names cookies (a language may gloss the term there).
cat-device-cookies-first = { cat-device-cookies }
cat-birth-date = Date of birth
cat-national-id = National identification number
cat-identity-document = Image of an identity document
purpose-name = to address you and to label your deliveries.
purpose-email = to send order confirmations and answer your questions.
purpose-phone = to reach you about your order.
purpose-phone-courier = to reach you about your order and so that the courier can reach you on delivery.
purpose-address = to deliver your order and issue invoices.
purpose-postal-code = to deliver your order and calculate shipping.
purpose-order-history = to fulfil, support and account for your orders.
purpose-payment-reference = to match your payment to your order and handle refunds. Card numbers are never stored.
purpose-ip-address = to keep the shop secure and prevent fraud.
purpose-device-cookies = to keep your basket and your login working.
purpose-birth-date = to check that you meet the minimum age.
purpose-national-id = to issue invoices and meet legal duties that require it.
purpose-identity-document = to verify your identity where the law or the goods sold require it.

## Purposes
purposes-orders = To accept, process, deliver and support your orders. Legal basis: performance of the contract with you.
purposes-legal = To keep order and invoice records required by tax and commercial law. Legal basis: legal obligation.
notifications-order-email = For every order, the shop receives an e-mail in its own mailbox with the order details, including your name and contact data, so that it can process the order. Legal basis: performance of the contract. The e-mail goes only to the shop and is part of handling your order, so it cannot be switched off for a single order.
notifications-order-sms = The shop owner has chosen to send text messages (SMS) about your order, for example when it is placed or shipped, to the phone number you give. They are sent through { $providers }. Legal basis: performance of the contract.
notifications-sms-opt-out-optional = The messages only carry news about your order, never advertising. If you do not want them, leave out your phone number when you order: without it, no text message is sent.
notifications-sms-opt-out-required = The messages only carry news about your order, never advertising. Because a phone number is required for every order, they cannot be switched off when you order; to stop them, ask the shop on its privacy requests page or by writing to { $email }.
notifications-marketing = { $channels ->
    [sms] Only if you agree does the shop send you offers and news by text message (SMS). Legal basis: your consent. Each such message says that it is advertising and how to stop it.
    [email] Only if you agree does the shop send you offers and news by e-mail. Legal basis: your consent. Each such e-mail says how to stop them.
   *[both] Only if you agree does the shop send you offers and news by text message (SMS) or by e-mail; you decide on each channel separately. Legal basis: your consent. Each such message says that it is advertising and how to stop it.
}
consent-withdraw = { $sms ->
    [yes] You can change or withdraw any consent at any time, as easily as you gave it: in the consent window on the shop's pages, on the shop's privacy requests page, or by replying STOP to an advertising text message. From then on the processing stops; what was done before remains lawful.
   *[no] You can change or withdraw any consent at any time, as easily as you gave it: in the consent window on the shop's pages or on the shop's privacy requests page. From then on the processing stops; what was done before remains lawful.
}
purposes-security = To protect the shop against attacks, fraud and abuse, server logs with IP addresses are kept. Legal basis: the shop's legitimate interest in a secure service.
analytics-services = With your consent, the shop measures how visitors use it with { $how_many ->
    [one] this analytics service: { $services }. It receives
   *[other] these analytics services: { $services }. They receive
} your IP address, device data and the pages you visit. Legal basis: consent, which you can withdraw at any time.
purposes-automated = No decision that has legal or similarly significant effects on you is made solely by automated means, and no profiling is carried out.
purposes-automated-profiling = No decision that has legal or similarly significant effects on you is made solely by automated means. If you consent to analytics, { $services } can build a profile of how you use the shop (pages visited, clicks, device, repeat visits); the shop uses such profiles only to improve the shop, never to decide about you.

## Recipients
recipients-platform = { $platform }: hosts the shop and processes data on its behalf (processor, { $country }).
recipients-processor = { $name }: { $role } (processor, { $country }).
recipients-payment = { $gateway }: payment processing ({ $country }).
recipients-analytics = { $service }: visitor analytics ({ $country }).
recipients-analytics-url = { $service }: visitor analytics ({ $country }); its privacy policy: { $url }
recipients-authorities = Courts, the police, tax offices and other public authorities, only on a lawful order or where the law requires it.
recipients-tax-system = Iran's tax administration receives each invoice through its taxpayers' system (Samaneh-ye Moadian), as the law requires.
recipients-no-sale = The shop does not sell your personal data, and does not rent it out or trade it for anything of value.
role-sms = text message delivery
role-email = e-mail delivery
role-hosting = hosting and infrastructure
role-shipping = delivery of orders
role-support = customer support
gateway-zarinpal = Zarinpal
gateway-idpay = IDPay
gateway-behpardakht = Behpardakht Mellat
gateway-saman = Saman Electronic Payment (SEP)
gateway-raiffeisen-pos = Raiffeisen Bank POS
gateway-hyperpay = HyperPay
gateway-moyasar = Moyasar
gateway-tap = Tap Payments
gateway-telr = Telr
gateway-stripe = Stripe
gateway-paypal = PayPal

## Countries
country-ir = Iran
country-al = Albania
country-xk = Kosovo
country-mk = North Macedonia
country-sa = Saudi Arabia
country-ae = the United Arab Emirates
country-kw = Kuwait
country-bh = Bahrain
country-qa = Qatar
country-om = Oman
country-tr = Türkiye
country-de = Germany
country-fr = France
country-it = Italy
country-ie = Ireland
country-nl = the Netherlands
country-mt = Malta
country-gb = the United Kingdom
country-us = the United States
country-ru = Russia

## Transfers
transfers-intro = Some recipients process data outside { $country }. Your data may therefore be transferred to:
transfers-row = { $recipient }: { $country }
transfers-safeguards = { $home ->
    [sa] Each transfer outside the Kingdom rests on a ground of the Regulation on Personal Data Transfer outside the Kingdom: a destination whose level of protection has been found adequate, or appropriate safeguards such as standard contractual clauses where it has not.
    [al] Each transfer goes to a country with an adequate level of protection or, where there is none, takes place only with the authorisation of the Information and Data Protection Commissioner, as Law No. 124/2024 requires.
    [eu] Each transfer goes to a country covered by an adequacy decision of the European Commission or rests on the Commission's standard contractual clauses.
    [ae] Each transfer goes to a country with adequate protection or rests on contractual safeguards, as Federal Decree-Law No. 45 of 2021 provides.
   *[other] These transfers rely on the data protection terms each recipient has agreed to.
} You can ask for a copy of these safeguards at { $email }.

## Retention
retention-intro = Data is kept only as long as needed for the purposes above; after that it is deleted or anonymised.
retention-customer-accounts = Customer account and contact data: { $period } after your last activity in the shop.
retention-orders = Orders and payment references: { $period } after the order, as tax and commercial law require.
retention-server-logs = Server logs, IP addresses and device data: { $period }.
retention-kyc = Identity documents: { $period } after the verification decision.
retention-after-deletion = After you delete your account, the remaining personal data is erased within { $period }, except records the law requires the shop to keep.
retention-backups = Encrypted backups kept by { $platform } may still hold erased data for up to { $period }; they are not used for anything but restoring the service and are then overwritten.
retention-kind-customer-accounts-days = customer account data
retention-kind-orders-days = orders
retention-kind-server-logs-days = server logs
retention-kind-kyc-documents-after-decision-days = identity documents
retention-kind-after-account-deletion-days = erasure after account deletion

## Rights
rights-intro = You have the following rights over your personal data:
rights-informed = Being informed: to know, before your data is collected, what is collected, why, on what legal basis and who receives it; this policy is how the shop tells you.
rights-access = Access: ask for a copy of the data the shop holds about you.
rights-rectify = Rectification: have wrong or incomplete data corrected.
rights-erase = Erasure: have your data deleted when it is no longer needed for the purposes above, when you withdraw a consent it relied on, when you object and no overriding reason remains, or when it was processed unlawfully. Records the law requires the shop to keep are deleted when that duty ends.
rights-restrict = Restriction: have your data only stored, and not otherwise used, while its accuracy is being checked after you contest it; when the processing is unlawful and you ask for restriction instead of erasure; when the shop no longer needs the data but you need it to establish, exercise or defend a legal claim; or while it is checked whether the shop's legitimate grounds override your objection.
rights-object = Objection: object to processing based on legitimate interest, and to direct marketing at any time.
rights-portability = Portability: receive the data you gave the shop yourself in a structured, machine-readable format.
rights-withdraw = Withdrawing consent: where processing relies on your consent, you can withdraw it at any time; processing before the withdrawal stays lawful.
rights-how = To use these rights, write to { $email }. The shop answers within { $period }{ $home ->
    [al] ; the law allows it no more than one month.
   *[other] .
}
rights-page = You can also act on them at the shop's privacy requests page, { $url }: ask for a copy of your data, its correction or erasure, or an end to marketing messages, and see or withdraw your consents. A one-time code sent to the e-mail address or phone number you shop with confirms the request.
rights-complain = You also have the right to complain to { $authority }.
rights-complain-url = You also have the right to complain to { $authority }, whose website is { $url }.
authority-al = the Information and Data Protection Commissioner (IDP)
authority-sa = the Saudi Data and Artificial Intelligence Authority (SDAIA)
authority-ae = the UAE Data Office
authority-ir = the competent courts of Iran, or first to the complaints service of the eNamad trust badge or to the consumer protection organisation (telephone 124)
authority-eu = the data protection supervisory authority of the country where you live or work
authority-other = the data protection authority or the courts of your country

## Cookies
cookies-essential = The shop uses cookies that are strictly necessary for the basket, login and checkout. They need no consent and expire when no longer needed.
cookies-analytics = Analytics cookies are set only after you agree, and you can change that choice at any time.
cookies-analytics-first = { cookies-analytics }
cookies-row = { $name }: { $purpose ->
    [analytics] analytics, only with your consent
   *[essential] strictly necessary
}; lasts { $lifetime }.
cookie-session = until you close the browser

## Children
children-age = The shop is meant for people aged { $age } or over. It does not knowingly collect data about younger people; if you are under { $age }, ask a parent or guardian to order for you.
children-parental-consent = Under Albanian law, a child under 16 can consent to the use of their data only with the approval of a parent or guardian.

## Security
security-transport = All pages are served only over encrypted connections (HTTPS).
security-encryption = Personal data is stored encrypted, and every time staff view it in the shop's administration, the access and its purpose are recorded.
security-encryption-order-email = Personal data is stored encrypted, and every time staff view it in the shop's administration, the access and its purpose are recorded. The order e-mail in the shop's mailbox is outside this record: whoever can read that mailbox can read the order details in it.
security-cards = Card details are entered directly with the payment provider; neither the shop nor { $platform } stores them.
security-staff = Everyone who works for the shop is bound to keep customer data confidential.
security-password = If you have an account, keep your password to yourself; the shop never asks you for it.
hosting-home = { $platform } keeps the data on servers in { $country }.
security-breach = No system is perfectly secure. If a breach puts your rights at risk, you will be told as the law requires.

## Changes
other-external-links = The shop's pages may link to other websites. This policy does not cover them; read their own policies.
other-business-transfer = If the shop is sold or merged, your data passes only to the new owner, which remains bound by this policy until it publishes its own policy and tells you so. If the shop closes, your data is erased except the records the law requires to be kept.
changes-publication = When this policy changes, the new version is published on this page with its date and a list of what changed. Earlier versions remain available.
changes-email = Before a significant change, such as a new purpose or a new recipient, takes effect, customers are told by e-mail.

## Contact
contact-email = E-mail: { $email }
contact-phone = Phone: { $phone }
contact-address = Postal address: { $address }

## Change descriptions
change-data-added = Newly collected: { $category } ({ $need ->
    [required] required
   *[optional] optional
}).
change-data-removed = No longer collected: { $category }.
change-data-requirement = Now { $need ->
    [required] required
   *[optional] optional
}: { $category }.
change-order-email-on = The shop now receives an e-mail for every order.
change-order-email-off = The shop no longer receives an e-mail for every order.
change-order-sms-on = Text messages (SMS) about orders are now sent.
change-order-sms-off = Text messages (SMS) about orders are no longer sent.
change-marketing-sms-on = Offers are now sent by text message (SMS) to customers who agree to them.
change-marketing-sms-off = Offers are no longer sent by text message (SMS).
change-marketing-email-on = Offers are now sent by e-mail to customers who agree to them.
change-marketing-email-off = Offers are no longer sent by e-mail.
change-analytics-added = Analytics service added: { $service }.
change-analytics-removed = Analytics service removed: { $service }.
change-gateway-added = Payment provider added: { $gateway }.
change-gateway-removed = Payment provider removed: { $gateway }.
change-processor-added = Processor added: { $name } ({ $role }).
change-processor-removed = Processor removed: { $name } ({ $role }).
change-retention = Retention changed: { $kind }, from { $from } to { $to }.
change-response-time = Answer time for requests changed from { $from } to { $to }.
change-minimum-age = Minimum age changed from { $from } to { $to }.
change-contact = The contact details changed.
change-controller = The details of the controller changed.
change-locale-added = The policy is now also available in { $language }.
change-locale-removed = The policy is no longer available in { $language }.
lang-en = English
lang-fa = Persian
lang-ar = Arabic
lang-sq = Albanian
