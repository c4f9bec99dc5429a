# harim-policy: Albanian (shqip).

## Page frame
title = Politika e privatësisë – { $shop }
intro = Kjo politikë shpjegon cilat të dhëna personale mbledh dyqani online { $shop } nga klientët e vet, pse, kush i merr, sa kohë ruhen dhe cilat të drejta keni.
last-updated = Përditësuar së fundi: { $date } (versioni { $version })
toc = Përmbajtja
history-title = Historiku i përditësimeve
history-entry = Versioni { $version }
history-first = Versioni i parë i publikuar.
footer = Kjo politikë u krijua nga { $platform } mbi bazën e cilësimeve aktuale të privatësisë së dyqanit, të njëjtat cilësime që përcaktojnë si i trajton dyqani të dhënat tuaja.
# Kohëzgjatjet: $count është kategoria CLDR e numrit, $t numri, $case `nom` (emërore) ose
# `obl` (rrjedhore, pas «brenda»: «brenda 30 ditëve», «brenda 1 dite»).
days = { $case ->
    [obl] { $count ->
        [one] { $t } dite
       *[other] { $t } ditëve
    }
   *[nom] { $t } ditë
}
months = { $case ->
    [obl] { $count ->
        [one] { $t } muaji
       *[other] { $t } muajve
    }
   *[nom] { $t } muaj
}
years = { $case ->
    [obl] { $count ->
        [one] { $t } viti
       *[other] { $t } vjetëve
    }
   *[nom] { $count ->
        [one] { $t } vit
       *[other] { $t } vjet
    }
}
hours = { $case ->
    [obl] { $count ->
        [one] { $t } ore
       *[other] { $t } orëve
    }
   *[nom] { $t } orë
}
# Nga një deri në nëntë me fjalë në tekst: $n është `n1`..`n9`, $t numri me shifra.
spelled = { $n ->
    [n1] një
    [n2] dy
    [n3] tre
    [n4] katër
    [n5] pesë
    [n6] gjashtë
    [n7] shtatë
    [n8] tetë
    [n9] nëntë
   *[other] { $t }
}
date-with-gregorian = { $date } / { $gregorian }

## Section titles
section-controller = Kontrolluesi i të dhënave
section-data = Të dhënat që mblidhen
section-purposes = Qëllimet dhe bazat ligjore
section-recipients = Marrësit e të dhënave
section-transfers = Transferimi në vende të tjera
section-retention = Afatet e ruajtjes
section-rights = Të drejtat tuaja
section-cookies = Kukit
section-children = Mosha minimale
section-security = Mbrojtja e të dhënave
section-changes = Ndryshimet e kësaj politike
section-contact = Kontakti
section-other = Çështje të tjera
section-developers = Për zhvilluesit: kërkesat që zbatojnë secilën të drejtë

## Controller
controller-identity = Kontrollues i të dhënave tuaja personale është { $legal_name }, që drejton dyqanin online { $shop }.
controller-country = Kontrolluesi është i vendosur në { $country_acc }.
controller-registration = { $home ->
    [al] NUIS: { $number }.
    [sa] Numri i regjistrimit tregtar: { $number }.
   *[other] Numri i regjistrimit: { $number }.
}
controller-vat = Numri i regjistrimit për TVSH: { $number }.
controller-enamad = Dyqani mban shenjën e besueshmërisë eNamad të Qendrës iraniane për Zhvillimin e Tregtisë Elektronike, që shfaqet në faqet e tij.
law-statute = { $home ->
    [sa] Kjo politikë rregullohet nga ligjet e Mbretërisë së Arabisë Saudite, në veçanti nga Ligji për Mbrojtjen e të Dhënave Personale, i nxjerrë me Dekretin Mbretëror nr. M/19 të datës 9/2/1443 H (16 shtator 2021), dhe nga Rregullorja e tij Zbatuese.
    [al] Kjo politikë hartohet në zbatim të Ligjit nr. 124/2024 «Për mbrojtjen e të dhënave personale» të Republikës së Shqipërisë.
    [ir] Kjo politikë mbështetet në Ligjin për Tregtinë Elektronike të Republikës Islamike të Iranit, në veçanti në nenet 58 dhe 59 të tij për të dhënat personale.
    [ae] Kjo politikë mbështetet në Dekret-Ligjin Federal nr. 45 të vitit 2021 për Mbrojtjen e të Dhënave Personale të Emirateve të Bashkuara Arabe.
    [eu] Kjo politikë mbështetet në Rregulloren e Përgjithshme për Mbrojtjen e të Dhënave (BE) 2016/679.
   *[other] Kjo politikë mbështetet në ligjin për mbrojtjen e të dhënave të vendit ku është i vendosur kontrolluesi.
} Nëse versionet e kësaj politike në gjuhë të ndryshme nuk përputhen, mbizotëron versioni në { $language }.
controller-platform = Dyqani është ndërtuar dhe strehohet në { $platform }. { $platform } i përpunon të dhënat e klientëve vetëm sipas udhëzimeve të dyqanit, si përpunues i tij.
controller-dpo = Nëpunësin për mbrojtjen e të dhënave mund ta kontaktoni në { $email }.

## Data
data-intro = Kur porosisni, ju i jepni dyqanit të dhënat e mëposhtme. Ato të shënuara si të detyrueshme nevojiten për të pranuar porosinë; të tjerat mund t'i lini bosh.
data-generated-intro = Të dhënat e mëposhtme nuk i shkruani ju: sistemet e dyqanit i regjistrojnë ndërsa vizitoni dyqanin dhe porosisni.
data-row-generated = { $category }: { $purpose }
data-row = { $category } ({ $need ->
    [required] { $gender ->
        [masculine] i detyrueshëm
        [feminine] e detyrueshme
       *[plural] të detyrueshme
    }
   *[optional] { $gender ->
        [masculine] fakultativ
        [feminine] fakultative
       *[plural] fakultative
    }
}): { $purpose }
data-consequences = Nëse nuk jepni të dhënat e detyrueshme, dyqani nuk mund ta pranojë, ta dërgojë ose ta ndjekë porosinë tuaj. Refuzimi nuk ka pasoja të tjera.
cat-name = Emri i plotë
    .gender = masculine
cat-email = Adresa e emailit
    .gender = feminine
cat-phone = Numri i telefonit
    .gender = masculine
cat-address = Adresa
    .gender = feminine
cat-postal-code = Kodi postar
    .gender = masculine
cat-order-history = Historiku i porosive
    .gender = masculine
cat-payment-reference = Referenca e pagesës
    .gender = feminine
cat-ip-address = Adresa IP
    .gender = feminine
cat-device-cookies = Të dhënat e pajisjes dhe kukit
# `*-first`: where the document first names cookies in running text, with the English gloss.
cat-device-cookies-first = Të dhënat e pajisjes dhe kukit (cookies)
    .gender = plural
cat-birth-date = Data e lindjes
    .gender = feminine
cat-national-id = Numri personal i identifikimit
    .gender = masculine
cat-identity-document = Imazhi i dokumentit të identitetit
    .gender = masculine
purpose-name = për t'ju drejtuar dhe për të etiketuar dërgesat.
purpose-email = për të dërguar konfirmimet e porosive dhe për t'iu përgjigjur pyetjeve tuaja.
purpose-phone = për t'ju kontaktuar rreth porosisë.
purpose-phone-courier = për t'ju kontaktuar rreth porosisë dhe që korrieri t'ju kontaktojë gjatë dorëzimit.
purpose-address = për të dërguar porosinë dhe për të lëshuar faturat.
purpose-postal-code = për të dërguar porosinë dhe për të llogaritur transportin.
purpose-order-history = për të kryer, ndjekur dhe kontabilizuar porositë.
purpose-payment-reference = për të lidhur pagesën me porosinë dhe për rimbursimet. Numrat e kartave nuk ruhen kurrë.
purpose-ip-address = për sigurinë e dyqanit dhe parandalimin e mashtrimeve.
purpose-device-cookies = që shporta dhe hyrja në llogari të funksionojnë.
purpose-birth-date = për të kontrolluar që e plotësoni moshën minimale.
purpose-national-id = për të lëshuar faturat dhe për detyrime ligjore që e kërkojnë.
purpose-identity-document = për të verifikuar identitetin kur e kërkon ligji ose malli që shitet.

## Purposes
purposes-orders = Pranimi, përpunimi, dërgimi dhe ndjekja e porosive tuaja. Baza ligjore: zbatimi i kontratës me ju.
purposes-legal = Ruajtja e të dhënave të porosive dhe faturave që kërkon legjislacioni tatimor dhe tregtar. Baza ligjore: detyrim ligjor.
notifications-order-email = Për çdo porosi, dyqani merr në kutinë e vet postare një email me detajet e porosisë, përfshirë emrin dhe të dhënat tuaja të kontaktit, që ta përpunojë atë. Baza ligjore: zbatimi i kontratës. Ky email shkon vetëm te dyqani dhe është pjesë e trajtimit të porosisë, ndaj nuk mund të çaktivizohet për një porosi të vetme.
notifications-order-sms = Pronari i dyqanit ka zgjedhur të dërgojë mesazhe SMS për porosinë tuaj në numrin e telefonit që jepni, për shembull kur porosia regjistrohet ose niset. Ato dërgohen përmes { $providers }. Baza ligjore: zbatimi i kontratës.
notifications-sms-opt-out-optional = Mesazhet përmbajnë vetëm njoftime për porosinë tuaj, kurrë reklama. Nëse nuk i dëshironi, mos jepni numrin e telefonit kur porosisni: pa të nuk dërgohet asnjë SMS.
notifications-sms-opt-out-required = Mesazhet përmbajnë vetëm njoftime për porosinë tuaj, kurrë reklama. Meqë numri i telefonit është i detyrueshëm për çdo porosi, ato nuk mund të çaktivizohen kur porosisni; për t'i ndalur, kërkojani dyqanit në faqen e tij për kërkesat e privatësisë ose duke shkruar në { $email }.
notifications-marketing = { $channels ->
    [sms] Dyqani ju dërgon oferta dhe lajme me SMS vetëm nëse pranoni. Baza ligjore: pëlqimi juaj. Çdo mesazh i tillë thotë se është reklamë dhe si ta ndaloni.
    [email] Dyqani ju dërgon oferta dhe lajme me email vetëm nëse pranoni. Baza ligjore: pëlqimi juaj. Çdo email i tillë thotë si t'i ndaloni.
   *[both] Dyqani ju dërgon oferta dhe lajme me SMS ose me email vetëm nëse pranoni, dhe për secilin kanal vendosni veçmas. Baza ligjore: pëlqimi juaj. Çdo mesazh i tillë thotë se është reklamë dhe si ta ndaloni.
}
consent-withdraw = { $sms ->
    [yes] Çdo pëlqim mund ta ndryshoni ose ta tërhiqni në çdo kohë, po aq lehtë sa e dhatë: te dritarja e pëlqimit në faqet e dyqanit, te faqja e dyqanit për kërkesat e privatësisë, ose duke iu përgjigjur një SMS-je reklamuese me fjalën NDALO. Përpunimi ndalet që nga ai çast; ajo që u bë më parë mbetet e ligjshme.
   *[no] Çdo pëlqim mund ta ndryshoni ose ta tërhiqni në çdo kohë, po aq lehtë sa e dhatë: te dritarja e pëlqimit në faqet e dyqanit ose te faqja e dyqanit për kërkesat e privatësisë. Përpunimi ndalet që nga ai çast; ajo që u bë më parë mbetet e ligjshme.
}
purposes-security = Për të mbrojtur dyqanin nga sulmet, mashtrimet dhe keqpërdorimi, ruhen regjistrat e serverit me adresat IP. Baza ligjore: interesi legjitim i dyqanit për një shërbim të sigurt.
analytics-services = Me pëlqimin tuaj, dyqani mat si e përdorin vizitorët me { $how_many ->
    [one] këtë shërbim analitik: { $services }. Ai merr
   *[other] këto shërbime analitike: { $services }. Ato marrin
} adresën tuaj IP, të dhënat e pajisjes dhe faqet që vizitoni. Baza ligjore: pëlqimi, të cilin mund ta tërhiqni në çdo kohë.
purposes-automated-profiling = Asnjë vendim me efekte ligjore ose efekte të ngjashme të rëndësishme për ju nuk merret vetëm në mënyrë të automatizuar. Nëse pranoni analitikën, { $services } mund të { $how_many ->
    [one] krijojë
   *[other] krijojnë
} një profil të mënyrës si e përdorni dyqanin (faqet e vizituara, klikimet, pajisja, vizitat e përsëritura); dyqani i përdor këto profile vetëm për të përmirësuar dyqanin, kurrë për të vendosur për ju.
purposes-automated = Asnjë vendim me efekte ligjore ose efekte të ngjashme të rëndësishme për ju nuk merret vetëm në mënyrë të automatizuar, dhe nuk bëhet profilizim.

## Recipients
recipients-platform = { $platform }: strehon dyqanin dhe përpunon të dhënat në emër të tij (përpunues, { $country }).
recipients-processor = { $name }: { $role } (përpunues, { $country }).
recipients-payment = { $gateway }: përpunimi i pagesave ({ $country }).
recipients-analytics = { $service }: analitika e vizitorëve ({ $country }).
recipients-analytics-url = { $service }: analitika e vizitorëve ({ $country }); politika e tij e privatësisë: { $url }
recipients-authorities = Gjykatat, policia, administrata tatimore dhe autoritete të tjera publike, vetëm me urdhër të ligjshëm ose kur e kërkon ligji.
recipients-tax-system = Administrata tatimore e Iranit merr çdo faturë elektronike të dyqanit përmes sistemit të tatimpaguesve (Samaneh-ye Moadian), siç e kërkon ligji.
recipients-no-sale = Dyqani nuk i shet të dhënat tuaja personale, nuk i jep me qira dhe nuk i shkëmben për asnjë përfitim.
role-sms = dërgimi i mesazheve SMS
role-email = dërgimi i emaileve
role-hosting = strehimi dhe infrastruktura
role-shipping = dorëzimi i porosive
role-support = mbështetja e klientëve
gateway-zarinpal = Zarinpal
gateway-idpay = IDPay
gateway-behpardakht = Behpardakht Mellat
gateway-saman = Saman Electronic Payment (SEP)
gateway-raiffeisen-pos = POS-i i Raiffeisen Bank
gateway-hyperpay = HyperPay
gateway-moyasar = Moyasar
gateway-tap = Tap Payments
gateway-telr = Telr
gateway-stripe = Stripe
gateway-paypal = PayPal

## Countries
# Standing alone, the definite nominative (Arabia Saudite, Shqipëria). After «në» (`acc`): a
# one-word name stays indefinite (në Shqipëri, në Gjermani), a name with an adjective takes
# the definite accusative (në Arabinë Saudite, në Mbretërinë e Bashkuar). After «jashtë»
# (`abl`): the definite ablative (jashtë Shqipërisë). Messages pick `$country_acc` /
# `$country_abl`.
country-ir = { $case ->
    [acc] Iran
    [abl] Iranit
   *[nom] Irani
}
country-al = { $case ->
    [acc] Shqipëri
    [abl] Shqipërisë
   *[nom] Shqipëria
}
country-xk = { $case ->
    [acc] Kosovë
    [abl] Kosovës
   *[nom] Kosova
}
country-mk = { $case ->
    [acc] Maqedoninë e Veriut
    [abl] Maqedonisë së Veriut
   *[nom] Maqedonia e Veriut
}
country-sa = { $case ->
    [acc] Arabinë Saudite
    [abl] Arabisë Saudite
   *[nom] Arabia Saudite
}
country-ae = { $case ->
    [acc] Emiratet e Bashkuara Arabe
    [abl] Emirateve të Bashkuara Arabe
   *[nom] Emiratet e Bashkuara Arabe
}
country-kw = { $case ->
    [acc] Kuvajt
    [abl] Kuvajtit
   *[nom] Kuvajti
}
country-bh = { $case ->
    [acc] Bahrejn
    [abl] Bahreinit
   *[nom] Bahreini
}
country-qa = { $case ->
    [acc] Katar
    [abl] Katarit
   *[nom] Katari
}
country-om = { $case ->
    [acc] Oman
    [abl] Omanit
   *[nom] Omani
}
country-tr = { $case ->
    [acc] Turqi
    [abl] Turqisë
   *[nom] Turqia
}
country-de = { $case ->
    [acc] Gjermani
    [abl] Gjermanisë
   *[nom] Gjermania
}
country-fr = { $case ->
    [acc] Francë
    [abl] Francës
   *[nom] Franca
}
country-it = { $case ->
    [acc] Itali
    [abl] Italisë
   *[nom] Italia
}
country-ie = { $case ->
    [acc] Irlandë
    [abl] Irlandës
   *[nom] Irlanda
}
country-nl = { $case ->
    [acc] Holandë
    [abl] Holandës
   *[nom] Holanda
}
country-mt = { $case ->
    [acc] Maltë
    [abl] Maltës
   *[nom] Malta
}
country-gb = { $case ->
    [acc] Mbretërinë e Bashkuar
    [abl] Mbretërisë së Bashkuar
   *[nom] Mbretëria e Bashkuar
}
country-us = { $case ->
    [acc] Shtetet e Bashkuara të Amerikës
    [abl] Shteteve të Bashkuara të Amerikës
   *[nom] Shtetet e Bashkuara të Amerikës
}
country-ru = { $case ->
    [acc] Rusi
    [abl] Rusisë
   *[nom] Rusia
}

## Transfers
transfers-intro = Disa marrës i përpunojnë të dhënat jashtë { $country_abl }. Prandaj të dhënat tuaja mund të transferohen te:
transfers-row = { $recipient }: { $country }
transfers-safeguards = { $home ->
    [sa] Çdo transferim jashtë Mbretërisë mbështetet në një nga bazat e Rregullores për Transferimin e të Dhënave Personale jashtë Mbretërisë: një vend me nivel mbrojtjeje të vlerësuar si të përshtatshëm, ose garanci të përshtatshme, si klauzolat standarde kontraktuale, kur ky nivel mungon.
    [al] Çdo transferim bëhet drejt një vendi me nivel të përshtatshëm mbrojtjeje ose, kur ky nivel mungon, vetëm me autorizimin e Komisionerit për të Drejtën e Informimit dhe Mbrojtjen e të Dhënave Personale, siç e kërkon Ligji nr. 124/2024.
    [eu] Çdo transferim bëhet drejt një vendi për të cilin Komisioni Evropian ka marrë vendim përshtatshmërie, ose mbështetet në klauzolat standarde kontraktuale të Komisionit.
    [ae] Çdo transferim bëhet drejt një vendi me mbrojtje të përshtatshme ose mbështetet në garanci kontraktuale, siç parashikon Dekret-Ligji Federal nr. 45 i vitit 2021.
   *[other] Këto transferime mbështeten në kushtet e mbrojtjes së të dhënave që ka pranuar secili marrës.
} Një kopje të këtyre garancive mund ta kërkoni në { $email }.

## Retention
retention-intro = Të dhënat ruhen vetëm për aq kohë sa nevojitet për qëllimet e mësipërme; pas kësaj fshihen ose anonimizohen.
retention-customer-accounts = Të dhënat e llogarisë dhe të kontaktit: { $period } pas aktivitetit tuaj të fundit në dyqan.
retention-orders = Porositë dhe referencat e pagesave: { $period } pas porosisë, siç e kërkon legjislacioni tatimor dhe tregtar.
retention-server-logs = Regjistrat e serverit, adresat IP dhe të dhënat e pajisjes: { $period }.
retention-kyc = Dokumentet e identitetit: { $period } pas vendimit të verifikimit.
retention-after-deletion = Pasi fshini llogarinë, të dhënat personale të mbetura fshihen brenda { $period_obl }, përveç atyre që ligji e detyron dyqanin t'i ruajë.
retention-backups = Kopjet rezervë të enkriptuara që mban { $platform } mund të përmbajnë ende të dhëna të fshira deri në { $period }; ato përdoren vetëm për rikthimin e shërbimit dhe pastaj mbishkruhen.
retention-kind-customer-accounts-days = të dhënat e llogarive të klientëve
retention-kind-orders-days = porositë
retention-kind-server-logs-days = regjistrat e serverit
retention-kind-kyc-documents-after-decision-days = dokumentet e identitetit
retention-kind-after-account-deletion-days = fshirja pas mbylljes së llogarisë

## Rights
rights-intro = Për të dhënat tuaja personale keni këto të drejta:
rights-informed = E drejta për t'u informuar: të dini, para se të mblidhen të dhënat, çfarë mblidhet, pse, mbi çfarë baze ligjore dhe kush i merr; kjo politikë është mënyra si dyqani jua bën të ditur.
rights-access = E drejta e aksesit: të kërkoni një kopje të të dhënave që dyqani mban për ju.
rights-rectify = E drejta e korrigjimit: të korrigjohen të dhënat e pasakta ose të paplota.
rights-erase = E drejta e fshirjes: të fshihen të dhënat tuaja kur nuk nevojiten më për qëllimet e mësipërme, kur tërhiqni një pëlqim mbi të cilin bazohej përpunimi, kur e kundërshtoni përpunimin dhe nuk mbetet asnjë arsye mbizotëruese, ose kur ato janë përpunuar në mënyrë të paligjshme. Të dhënat që ligji e detyron dyqanin t'i ruajë fshihen kur mbaron ky detyrim.
rights-restrict = E drejta e kufizimit të përpunimit: që të dhënat tuaja vetëm të ruhen, pa u përdorur ndryshe, në këto raste: derisa të verifikohet saktësia e tyre, kur e kundërshtoni; kur përpunimi është i paligjshëm dhe ju kërkoni kufizim në vend të fshirjes; kur dyqani nuk i ka më të nevojshme, por juve ju duhen për të ngritur, ushtruar ose mbrojtur një pretendim ligjor; ose derisa të verifikohet nëse arsyet legjitime të dyqanit mbizotërojnë mbi kundërshtimin tuaj.
rights-object = E drejta e kundërshtimit: të kundërshtoni përpunimin e bazuar në interes legjitim, si dhe marketingun e drejtpërdrejtë në çdo kohë.
rights-portability = E drejta e transportueshmërisë: të merrni të dhënat që i keni dhënë vetë dyqanit, në një format të strukturuar, të lexueshëm nga makina.
rights-withdraw = E drejta e tërheqjes së pëlqimit: kur përpunimi bazohet në pëlqimin tuaj, mund ta tërhiqni në çdo kohë; përpunimi para tërheqjes mbetet i ligjshëm.
rights-how = Për të ushtruar këto të drejta, shkruani në { $email }. Dyqani përgjigjet brenda { $period_obl }{ $home ->
    [al] ; ligji nuk i lejon më shumë se një muaj.
   *[other] .
}
rights-page = Këto të drejta mund t'i ushtroni edhe në faqen e dyqanit për kërkesat e privatësisë, { $url }, ku mund të kërkoni një kopje të të dhënave tuaja, korrigjimin ose fshirjen e tyre, ose ndalimin e mesazheve të marketingut, si dhe të shihni ose të tërhiqni pëlqimet tuaja. Kërkesa konfirmohet me një kod të njëhershëm që dërgohet në adresën e emailit ose në numrin e telefonit me të cilin blini.
rights-complain = Keni gjithashtu të drejtë të ankoheni te { $authority }.
rights-complain-url = Keni gjithashtu të drejtë të ankoheni te { $authority }. Faqja e internetit: { $url }.
authority-al = Komisioneri për të Drejtën e Informimit dhe Mbrojtjen e të Dhënave Personale (IDP)
authority-sa = Autoriteti Saudit i të Dhënave dhe Inteligjencës Artificiale (SDAIA)
authority-ae = Zyra e të Dhënave e Emirateve të Bashkuara Arabe
authority-ir = gjykatat kompetente të Iranit, ose më parë te shërbimi i ankesave i shenjës eNamad ose te organizata për mbrojtjen e konsumatorit (telefoni 124)
authority-eu = autoriteti mbikëqyrës i mbrojtjes së të dhënave në vendin ku jetoni ose punoni
authority-other = autoriteti i mbrojtjes së të dhënave ose gjykatat e vendit tuaj

## Cookies
cookies-essential = Dyqani përdor kuki që janë rreptësisht të nevojshme për shportën, hyrjen në llogari dhe pagesën. Ato nuk kërkojnë pëlqim dhe skadojnë kur nuk nevojiten më.
cookies-analytics = Kukit analitike vendosen vetëm pasi të jepni pëlqimin, dhe këtë zgjedhje mund ta ndryshoni në çdo kohë.
cookies-analytics-first = Kukit analitike (analytics cookies) vendosen vetëm pasi të jepni pëlqimin, dhe këtë zgjedhje mund ta ndryshoni në çdo kohë.
cookies-row = { $name }: { $purpose ->
    [analytics] analitike, vetëm me pëlqimin tuaj
   *[essential] rreptësisht e nevojshme
}; zgjat { $lifetime }.
cookie-session = derisa të mbyllni shfletuesin

## Children
children-age = Dyqani u drejtohet personave { $age } vjeç e lart dhe nuk mbledh me dije të dhëna për persona nën këtë moshë; nëse nuk i keni mbushur { $age } vjeç, kërkojini një prindi ose kujdestari të porosisë për ju.
children-parental-consent = Sipas ligjit shqiptar, një fëmijë nën 16 vjeç mund të japë pëlqim për përdorimin e të dhënave të tij vetëm me miratimin e prindit ose të kujdestarit.

## Security
security-transport = Të gjitha faqet ofrohen vetëm përmes lidhjeve të enkriptuara (HTTPS).
security-encryption = Të dhënat personale ruhen të enkriptuara, dhe sa herë që stafi i shikon në administrimin e dyqanit, regjistrohen aksesi dhe qëllimi i tij.
security-encryption-order-email = Të dhënat personale ruhen të enkriptuara, dhe sa herë që stafi i shikon në administrimin e dyqanit, regjistrohen aksesi dhe qëllimi i tij. Emaili i porosisë në kutinë postare të dyqanit mbetet jashtë këtij regjistri: kushdo që lexon atë kuti postare mund të lexojë detajet e porosisë në të.
security-cards = Të dhënat e kartës futen drejtpërdrejt te ofruesi i pagesës; as dyqani, as { $platform } nuk i ruajnë ato.
security-staff = Kushdo që punon për dyqanin është i detyruar t'i mbajë konfidenciale të dhënat e klientëve.
security-password = Nëse keni llogari, fjalëkalimin mbajeni vetëm për vete; dyqani nuk jua kërkon kurrë.
hosting-home = Platforma { $platform } i mban të dhënat në serverë në { $country_acc }.
security-breach = Asnjë sistem nuk është plotësisht i sigurt. Nëse një cenim rrezikon të drejtat tuaja, do të njoftoheni siç e kërkon ligji.

## Changes
other-external-links = Faqet e dyqanit mund të kenë lidhje me faqe të tjera interneti. Kjo politikë nuk i mbulon ato; lexoni politikat e tyre.
other-business-transfer = Nëse dyqani shitet ose bashkohet me një biznes tjetër, të dhënat tuaja kalojnë vetëm te pronari i ri, i cili mbetet i detyruar nga kjo politikë derisa të publikojë politikën e vet dhe t'ju njoftojë. Nëse dyqani mbyllet, të dhënat tuaja fshihen, përveç atyre që ligji kërkon të ruhen.
changes-publication = Kur kjo politikë ndryshon, versioni i ri publikohet në këtë faqe me datën dhe listën e ndryshimeve. Versionet e mëparshme mbeten të disponueshme.
changes-email = Para se një ndryshim i rëndësishëm, si një qëllim ose marrës i ri, të hyjë në fuqi, klientët njoftohen me email.

## Contact
contact-email = Email: { $email }
contact-phone = Telefon: { $phone }
contact-address = Adresa postare: { $address }

## Change descriptions
change-data-added = Mblidhet tani: { $category } ({ $need ->
    [required] { $gender ->
        [masculine] i detyrueshëm
        [feminine] e detyrueshme
       *[plural] të detyrueshme
    }
   *[optional] { $gender ->
        [masculine] fakultativ
        [feminine] fakultative
       *[plural] fakultative
    }
}).
change-data-removed = Nuk mblidhet më: { $category }.
change-data-requirement = { $category } { $gender ->
    [plural] janë
   *[other] është
} tani { $need ->
    [required] { $gender ->
        [masculine] i detyrueshëm
        [feminine] e detyrueshme
       *[plural] të detyrueshme
    }
   *[optional] { $gender ->
        [masculine] fakultativ
        [feminine] fakultative
       *[plural] fakultative
    }
}.
change-order-email-on = Dyqani tani merr një email për çdo porosi.
change-order-email-off = Dyqani nuk merr më email për çdo porosi.
change-order-sms-on = Tani dërgohen mesazhe SMS për porositë.
change-order-sms-off = Nuk dërgohen më mesazhe SMS për porositë.
change-marketing-sms-on = Tani ofertat u dërgohen me SMS klientëve që pranojnë t'i marrin.
change-marketing-sms-off = Ofertat nuk dërgohen më me SMS.
change-marketing-email-on = Tani ofertat u dërgohen me email klientëve që pranojnë t'i marrin.
change-marketing-email-off = Ofertat nuk dërgohen më me email.
change-analytics-added = U shtua shërbimi analitik: { $service }.
change-analytics-removed = U hoq shërbimi analitik: { $service }.
change-gateway-added = U shtua ofruesi i pagesave: { $gateway }.
change-gateway-removed = U hoq ofruesi i pagesave: { $gateway }.
change-processor-added = U shtua përpunuesi: { $name } ({ $role }).
change-processor-removed = U hoq përpunuesi: { $name } ({ $role }).
change-retention = Ndryshoi afati i ruajtjes: { $kind }, nga { $from } në { $to }.
change-response-time = Afati i përgjigjes ndaj kërkesave ndryshoi nga { $from } në { $to }.
change-minimum-age = Mosha minimale ndryshoi nga { $from } në { $to } vjeç.
change-contact = Të dhënat e kontaktit ndryshuan.
change-controller = Të dhënat e kontrolluesit ndryshuan.
change-locale-added = Politika tani është e disponueshme edhe në { $language }.
change-locale-removed = Politika nuk është më e disponueshme në { $language }.
lang-en = anglisht
lang-fa = persisht
lang-ar = arabisht
lang-sq = shqip
