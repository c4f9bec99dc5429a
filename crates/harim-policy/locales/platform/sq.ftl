# harim-policy: the platform's own policy for its merchants, Albanian (shqip).
# Terms: controller = kontrollues, processor = përpunues, operator = operatori (i platformës).
# Proper names stay uninflected ("platforma { $platform }"); countries and durations are put
# where the form in ../sq.ftl is grammatical (after a colon, in parentheses, after "nga"/"në").
# In `*-hours` messages `$period` is the localised number and `$period_n` the raw one (one, other).

## Page frame
pp-title = Politika e privatësisë e platformës { $shop } për tregtarët
pp-intro = Kjo politikë u drejtohet personave që administrojnë dyqane në platformën { $shop }: pronarëve të dyqaneve, stafit të tyre dhe kujtdo që regjistrohet. Ajo rendit çdo lloj të dhënash personale që platforma mban për ju, pse i mban, mbi çfarë baze ligjore, kush tjetër i merr, sa kohë ruhen dhe si mund t'i shihni, t'i merrni me vete ose t'i fshini. Se çfarë bën secili dyqan me të dhënat e klientëve të vet, e tregon politika e privatësisë e atij dyqani.
pp-footer = Këtë politikë e ka krijuar platforma { $platform } nga konfigurimi dhe nga harta e saj e të dhënave, e njëjta deklaratë mbi të cilën bazohen eksportet, fshirjet dhe procesi automatik që fshin të dhënat kur mbaron afati i ruajtjes.

## Controller
pp-controller-identity = Kontrollues i të dhënave tuaja personale është { $operator }, operatori i platformës { $platform }.
pp-controller-country = Operatori është i vendosur në { $country_acc }.
pp-controller-registration = { $home ->
    [al] NUIS: { $number }.
    [sa] Numri i regjistrimit tregtar: { $number }.
   *[other] Numri i regjistrimit të shoqërisë: { $number }.
}
pp-controller-dpo = Nëpunësin për mbrojtjen e të dhënave të operatorit mund ta kontaktoni në { $email }.
pp-controller-shops = Secili dyqan vendos vetë se çfarë bën me të dhënat e klientëve të vet, dhe platforma { $platform } i përpunon këto të dhëna vetëm sipas udhëzimeve të dyqanit. Kjo politikë ka të bëjë me të dhënat tuaja si tregtar, jo me të dhënat e klientëve tuaj.

## Data, purpose and legal basis
pp-data-intro = Platforma mban të dhënat e mëposhtme. Për secilin lloj tregohet pse mbahet dhe mbi çfarë baze ligjore.
pp-data-row = { $category }: { $purpose } Baza ligjore: { $bases }.
pp-data-row-fields = { $category } ({ $fields }): { $purpose } Baza ligjore: { $bases }.
pp-basis-contract = zbatimi i kontratës me ju
pp-basis-legal-obligation = përmbushja e një detyrimi ligjor
pp-basis-legitimate-interest = interesi legjitim i operatorit për një shërbim të sigurt

pp-cat-account = Llogaria juaj
pp-purpose-account = adresa e emailit me të cilën hyni, një emër i shfaqur fakultativ dhe vlera hash e fjalëkalimit, që të mund të hyni në llogari dhe të kontaktoheni për llogarinë tuaj. Vetë fjalëkalimi nuk ruhet kurrë.
pp-cat-sessions = Seancat e hyrjes dhe përpjekjet për hyrje
pp-purpose-sessions = për ta mbajtur aktive hyrjen tuaj në llogari dhe për të ngadalësuar përpjekjet për ta gjetur fjalëkalimin me hamendje. Nga tokenët e seancave, adresat IP të pajisjeve dhe adresat e emailit ruhen vetëm vlerat e tyre hash.
pp-cat-shop = Dyqani juaj
pp-purpose-shop = emri, adresa në platformë dhe gjuha e parazgjedhur e dyqanit, për funksionimin e dyqanit.
pp-cat-members = Stafi i dyqanit
pp-purpose-members = kush punon në cilin dyqan dhe me cilin rol, që secili person të mund të bëjë saktësisht atë që ka lejuar pronari i dyqanit.
pp-cat-api-keys = Çelësat API
pp-purpose-api-keys = emri, roli dhe vlera hash e secilit çelës, si dhe koha e përdorimit të fundit, për aksesin programatik në dyqan. Vetë çelësi nuk ruhet kurrë.
pp-cat-invitations = Ftesat për stafin
pp-purpose-invitations = adresa e emailit dhe roli i personit të ftuar, që të mund t'i bashkohet dyqanit.
pp-cat-identity = Identiteti i regjistruar i pronarit të dyqanit
pp-purpose-identity = për verifikimet e njohjes së klientit (KYC) që kërkon ligji përpara se një dyqan të pranojë pagesa, si dhe për transferimin e të ardhurave të dyqanit.
pp-cat-tenant-keys = Çelësi i enkriptimit i dyqanit tuaj
pp-purpose-tenant-keys = çdo e dhënë e enkriptuar e dyqanit mund të lexohet vetëm përmes tij. Vetë ky çelës është i enkriptuar me çelësin rrënjë të platformës.
pp-cat-documents = Dokumentet e identitetit
pp-purpose-documents = për të verifikuar identitetin e pronarit të dyqanit. Kur ngarkohen imazhet, prej tyre hiqen të dhënat e vendndodhjes dhe të kamerës.
pp-cat-privacy-settings = Cilësimet e privatësisë së dyqanit tuaj
pp-purpose-privacy-settings = për të hartuar politikën e privatësisë së dyqanit tuaj; ato ju përcaktojnë si kontrollues dhe përmbajnë të dhënat tuaja të kontaktit.
pp-cat-policy-versions = Versionet e publikuara të politikës së privatësisë së dyqanit tuaj
pp-purpose-policy-versions = që më vonë të mund të provohet çdo version që u është shfaqur klientëve tuaj.
pp-cat-audit-log = Regjistri i auditimit
pp-purpose-audit-log = kush ka parë ose ka ndryshuar cilat të dhëna personale, kur dhe për çfarë qëllimi. Regjistri përmend emrat e fushave dhe identifikues të pseudonimizuar, kurrë vlerat, dhe një zinxhir vlerash hash me çelës tregon se asnjë shënim nuk është ndryshuar ose hequr.
pp-cat-data-requests = Kërkesat tuaja për të dhënat
pp-purpose-data-requests = për të kryer dhe për të provuar eksportet dhe fshirjet që kërkoni: kërkesa, afati i saj, arkivi i eksportit deri në skadimin e tij dhe vërtetimi i nënshkruar i fshirjes, i cili nuk përmban të dhëna personale.

pp-field-full-name = emri i plotë
pp-field-national-id = numri personal i identifikimit
pp-field-iban = { $home ->
    [ir] numri i llogarisë bankare (Sheba)
   *[other] numri i llogarisë bankare (IBAN)
}
pp-field-birth-date = data e lindjes
pp-field-phone = numri i telefonit
pp-field-email = adresa e emailit
pp-field-address = adresa postare
pp-field-postal-code = kodi postar
pp-field-country = shteti
pp-field-national-id-front = ana e përparme e kartës së identitetit
pp-field-national-id-back = ana e pasme e kartës së identitetit
pp-field-selfie = një foto e pronarit që mban kartën e identitetit në dorë
pp-field-business-license = licenca e biznesit

## Recipients
pp-recipients-hosting = { $name }: strehon serverët, bazën e të dhënave dhe hapësirën e ruajtjes së skedarëve të platformës ({ $country }).
pp-recipients-processor = { $name }: { $role } në emër të operatorit ({ $country }).
pp-recipients-reviewers = Stafi shqyrtues i operatorit sheh identitetin e regjistruar dhe dokumentet e identitetit për të vendosur për to. Sa herë që ky staf hap një dokument, shikimi dhe qëllimi i tij regjistrohen në regjistrin e auditimit të dyqanit tuaj.
pp-recipients-shop-owner = Pronari i një dyqani sheh adresën e emailit dhe rolin e secilit person që punon në të.
pp-recipients-authorities = Gjykatat, policia, administrata tatimore dhe autoritete të tjera publike, vetëm me urdhër të ligjshëm ose kur e kërkon ligji.

## Transfers
pp-transfers-intro = Disa marrës punojnë jashtë { $country_abl }, prandaj të dhënat tuaja mund të transferohen te:
pp-transfers-row = { $recipient }: { $country }
pp-transfers-safeguards = { $home ->
    [sa] Çdo transferim jashtë Mbretërisë mbështetet në një nga bazat e Rregullores për Transferimin e të Dhënave Personale jashtë Mbretërisë: një vend me nivel mbrojtjeje të vlerësuar si të përshtatshëm, ose garanci të përshtatshme, si klauzolat standarde kontraktuale, kur ky nivel mungon.
    [al] Çdo transferim bëhet drejt një vendi me nivel të përshtatshëm mbrojtjeje ose, kur ky nivel mungon, vetëm me autorizimin e Komisionerit për të Drejtën e Informimit dhe Mbrojtjen e të Dhënave Personale, siç e kërkon Ligji nr. 124/2024.
    [eu] Çdo transferim bëhet drejt një vendi për të cilin Komisioni Evropian ka marrë vendim përshtatshmërie, ose mbështetet në klauzolat standarde kontraktuale të Komisionit.
    [ae] Çdo transferim bëhet drejt një vendi me mbrojtje të përshtatshme ose mbështetet në garanci kontraktuale, siç parashikon Dekret-Ligji Federal nr. 45 i vitit 2021.
   *[other] Këto transferime mbështeten në kushtet e mbrojtjes së të dhënave të marrësve.
} Një kopje të garancive mund ta kërkoni në { $email }.

## Retention
pp-retention-intro = Çdo lloj të dhënash ruhet vetëm për aq kohë sa tregohet më poshtë. Kur mbaron afati, procesi automatik i ruajtjes së platformës i fshin; të njëjtat vlera të konfiguruara e drejtojnë si këtë proces, ashtu edhe këtë faqe.
pp-retention-row = { $category }: { $period }.
pp-retention-part = { $category } ({ $part }): { $period }.
pp-part-sessions = seancat
pp-part-login-attempts = numëruesit e përpjekjeve për hyrje
pp-part-audit-log = shënimet
pp-part-account-residue = të dhënat që përmendin ende një llogari të fshirë
pp-part-service-log = regjistri i shërbimit
pp-part-data-requests = arkivat e eksportit
pp-retention-backups = Kopjet rezervë të enkriptuara ruhen { $period } dhe pastaj mbishkruhen. Deri atëherë mund të përmbajnë ende të dhëna të fshira, por të dhënat që janë fshirë me shkatërrimin e çelësit të tyre nuk mund të lexohen prej tyre.
pp-period-while-account = derisa ta fshini llogarinë tuaj
pp-period-while-shop = derisa të fshihet dyqani
pp-period-kyc-setting = për aq kohë sa përcaktojnë cilësimet e privatësisë së dyqanit pas vendimit të shqyrtimit ({ $period }, nëse pronari nuk cakton një afat tjetër)
pp-period-as-proof = evidenca e çdo kërkese, pa të dhëna personale, ruhet si provë se kërkesa u krye
pp-period-operator-logs = { $period } në sistemin e regjistrave të operatorit; ai përmban identifikuesit dhe shtigjet (routes) e kërkesave, kurrë ndonjë vlerë që keni futur ju
pp-after-created = { $period } pas krijimit
pp-after-last-use = { $period } pas përdorimit të fundit
pp-after-decision = { $period } pas vendimit të shqyrtimit
pp-after-ready = { $period } pasi arkivi bëhet gati
pp-after-shop-erasure = { $period } pas fshirjes së dyqanit
pp-after-account-erasure = { $period } pas fshirjes së llogarisë

## Rights
pp-rights-intro = Këto të drejta mund t'i ushtroni vetë te cilësimet e llogarisë, ose duke i shkruar operatorit.
pp-rights-access = E drejta e aksesit: te cilësimet e llogarisë mund të kërkoni një kopje të gjithçkaje që platforma mban për ju, si dhe të gjithçkaje për një dyqan që zotëroni. Arkivi bëhet gati brenda afatit të përgjigjes që tregohet më poshtë dhe mund të shkarkohet deri në skadimin e tij.
pp-rights-rectify = E drejta e korrigjimit: identitetin e regjistruar mund ta korrigjoni te cilësimet e dyqanit, dhe çdo gjë tjetër te cilësimet e llogarisë ose duke i shkruar operatorit.
pp-rights-erase = E drejta e fshirjes: te cilësimet e llogarisë mund ta fshini llogarinë tuaj ose një dyqan që zotëroni. Të dhënat bëhen menjëherë të palexueshme me shkatërrimin e çelësit të tyre të enkriptimit dhe pastaj fshihen. Merrni një vërtetim të nënshkruar, të cilin çdokush mund ta verifikojë pranë platformës. Ato që ligji e detyron operatorin t'i ruajë renditen në vërtetim, bashkë me datën kur mbaron ruajtja e tyre.
pp-rights-restrict = E drejta e kufizimit të përpunimit: mund t'i kërkoni operatorit t'i ruajë të dhënat tuaja, por të mos i përdorë ndryshe, ndërkohë që e kundërshtoni saktësinë e tyre; kur përdorimi i tyre është i paligjshëm, por ju parapëlqeni kufizimin në vend të fshirjes; kur operatorit nuk i nevojiten më, por juve ju nevojiten për një pretendim ligjor; ose derisa të vendoset për një kundërshtim.
pp-rights-object = E drejta e kundërshtimit: mund ta kundërshtoni përdorimin e të dhënave tuaja që mbështetet në interesin legjitim të operatorit; ai ndërpritet, përveç rastit kur ekzistojnë arsye legjitime bindëse që mbizotërojnë mbi interesat tuaja.
pp-rights-portability = E drejta e transportueshmërisë: eksporti është një arkiv ZIP me skedarë JSON dhe dokumentet origjinale, që të mund t'i çoni të dhënat tuaja në një shërbim tjetër.
pp-rights-how = Për çdo gjë tjetër, shkruani në { $email }. Afati i përgjigjes së operatorit është { $period }.
pp-rights-complain = Gjithashtu mund të ankoheni te { $authority }.
pp-rights-complain-url = Gjithashtu mund të ankoheni te { $authority }. Faqja e internetit: { $url }.

## Security
pp-security-transport = Çdo faqe dhe çdo kërkesë kalon përmes një lidhjeje të enkriptuar (HTTPS).
pp-security-encryption = Identiteti i regjistruar, dokumentet e identitetit dhe eksportet e dyqanit enkriptohen me një çelës që i përket vetëm dyqanit të tyre, kështu që fshirja e dyqanit e shkatërron këtë çelës dhe asgjë prej tyre nuk mbetet e lexueshme.
pp-security-hsm = Çelësat rrënjë të platformës ruhen në një modul harduerik sigurie (HSM) dhe nuk dalin kurrë prej tij.
pp-security-audit = Sa herë që dikush shfaq identitetin tuaj të plotë ose shkarkon një nga dokumentet tuaja, aksesi dhe qëllimi i tij regjistrohen para se të deshifrohet ndonjë gjë. Ekranet e tjera i shfaqin fushat e identitetit vetëm të maskuara.
pp-security-documents = Për dokumentet e ngarkuara kontrollohet që të jenë vërtet imazhe ose PDF; nga imazhet hiqen metadatat si vendndodhja, ndërsa skedarët PDF me skripte, formularë ose bashkëngjitje refuzohen.
pp-security-breach = Asnjë sistem nuk është plotësisht i sigurt. Nëse një cenim i sigurisë i vë në rrezik të drejtat tuaja, operatori do të njoftojë autoritetet dhe do t'ju njoftojë edhe ju, siç e kërkon ligji.

## Changes
pp-changes = Kur ndryshon mënyra si platforma i trajton të dhënat, në këtë faqe publikohet një version i ri i kësaj politike me datën e tij dhe listën e ndryshimeve; versionet e mëparshme mbeten të renditura më poshtë.

## Contact
pp-contact-email = Pyetje për privatësinë: { $email }
pp-contact-dpo = Nëpunësi për mbrojtjen e të dhënave: { $email }

## For developers
pp-dev-intro = Cilësimet e llogarisë të përshkruara më sipër e zbatojnë secilën të drejtë përmes këtyre kërkesave të ndërfaqes HTTP të platformës; integrimet dhe mjetet e vetë dyqanit mund t'i thërrasin drejtpërdrejt.
pp-dev-route = { $what }: { $route }
pp-dev-account-export = një kopje e llogarisë
pp-dev-shop-export = një kopje e një dyqani
pp-dev-identity-update = korrigjimi i identitetit të regjistruar
pp-dev-account-erasure = fshirja e llogarisë
pp-dev-shop-erasure = fshirja e një dyqani
pp-dev-receipt = verifikimi i një vërtetimi fshirjeje

## Change descriptions
pp-change-operator = Të dhënat e operatorit ndryshuan.
pp-change-hosting = Platforma tani strehohet nga { $name } në { $country_acc }.
pp-change-processor-added = Përpunues i ri: { $name } ({ $role }).
pp-change-processor-removed = U hoq përpunuesi: { $name } ({ $role }).
pp-change-data-added = Platforma tani mban: { $category }.
pp-change-data-removed = Platforma nuk mban më: { $category }.
pp-change-data-changed = Ndryshoi çfarë mbahet, pse mbahet ose mbi çfarë baze, për: { $category }.
pp-change-retention = Ndryshoi afati i ruajtjes për: { $category }.
pp-change-backups = Afati i ruajtjes së kopjeve rezervë para mbishkrimit ndryshoi nga { $from } në { $to }.
pp-change-logs = Afati i ruajtjes së regjistrit të shërbimit ndryshoi nga { $from } në { $to }.
pp-change-response-time = Afati i përgjigjes ndaj kërkesave ndryshoi nga { $from } në { $to }.
pp-change-hsm-on = Çelësat rrënjë tani ruhen në një modul harduerik sigurie.
pp-change-hsm-off = Çelësat rrënjë nuk ruhen më në një modul harduerik sigurie.
pp-change-routes = Ndryshuan kërkesat përmes të cilave ushtrohen të drejtat tuaja.
