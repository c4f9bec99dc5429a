# harim-policy: the platform's own policy for its merchants, Arabic (العربية).
# Terms: controller = جهة التحكم, processor = جهة المعالجة, legitimate interest = المصلحة المشروعة,
# operator = الجهة المشغّلة. "Law": every clause selects on `$law` (a Saudi operator's statutes are
# «النظام», any other country's «القانون»); the page frame has no `$law`, so it names neither.
# Durations (`$period`) are phrased in nominative positions (e.g. "مدة قدرها …", "… من تاريخ …"),
# because the dual of `days` (يومان) is nominative. In `*-hours` messages `$period` is the
# localised number and `$period_n` the raw one (CLDR: zero, one, two, few, many, other).

## Page frame
pp-title = سياسة الخصوصية الخاصة بالتجار – { $shop }
pp-intro = هذه السياسة موجهة إلى من يديرون متاجر على منصة { $shop }: ملاك المتاجر وموظفيهم وكل من ينشئ حسابًا فيها. وهي تبيّن كل نوع من البيانات الشخصية التي تحتفظ بها المنصة عنك، وسبب الاحتفاظ به، والأساس الذي يستند إليه، والجهات الأخرى التي تتلقاه، ومدة الاحتفاظ به، والطلبات المحددة التي تتيح لك الاطلاع عليه أو نقله أو محوه. أما ما يفعله كل متجر ببيانات عملائه فتبيّنه سياسة الخصوصية الخاصة بذلك المتجر.
pp-footer = أنشأت منصة { $platform } هذه السياسة آليًا من إعداداتها ومن خريطة بياناتها، وهي الوثيقة ذاتها التي تستند إليها عمليات التصدير والمحو والحذف الآلي للبيانات عند انقضاء مدة الاحتفاظ بها. ولم يُكتب أي جزء منها يدويًا.

## Controller
pp-controller-identity = جهة التحكم في بياناتك الشخصية هي { $operator }، الجهة المشغّلة لمنصة { $platform }.
pp-controller-country = يقع مقر الجهة المشغّلة في { $country }.
pp-controller-registration = رقم السجل التجاري: { $number }.
pp-controller-dpo = يمكن التواصل مع مسؤول حماية البيانات لدى الجهة المشغّلة عبر { $email }.
pp-controller-shops = يقرر كل متجر بنفسه ما يفعله ببيانات عملائه، ولا تعالج منصة { $platform } تلك البيانات إلا بناءً على تعليمات المتجر. وتتناول هذه السياسة بياناتك بصفتك تاجرًا، لا بيانات عملائك.

## Data, purpose and legal basis
pp-data-intro = تحتفظ المنصة بالبيانات التالية، مع بيان سبب الاحتفاظ بكل نوع منها و{ $law ->
    [sa] أساسه النظامي
   *[other] أساسه القانوني
}.
pp-data-row = { $category }: { $purpose } { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: { $bases }.
pp-data-row-fields = { $category } ({ $fields }): { $purpose } { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: { $bases }.
pp-basis-contract = تنفيذ العقد المبرم معك
pp-basis-legal-obligation = الوفاء بالتزام { $law ->
    [sa] نظامي
   *[other] قانوني
}
pp-basis-legitimate-interest = المصلحة المشروعة للجهة المشغّلة في تقديم خدمة آمنة

pp-cat-account = حسابك
pp-purpose-account = عنوان بريدك الإلكتروني الذي تسجّل به الدخول، واسم عرض اختياري، وقيمة تجزئة (hash) لكلمة المرور، لتتمكن من تسجيل الدخول وليُتواصَل معك بشأن حسابك. ولا تُخزَّن كلمة المرور نفسها أبدًا.
pp-cat-sessions = جلسات تسجيل الدخول ومحاولاته
pp-purpose-sessions = لإبقائك مسجّلًا للدخول ولإبطاء محاولات تخمين كلمة المرور. ولا يُخزَّن من رموز الجلسات وعناوين IP للأجهزة وعناوين البريد الإلكتروني إلا قيم تجزئتها.
pp-cat-shop = متجرك
pp-purpose-shop = اسمه وعنوانه على المنصة ولغته الافتراضية، لتشغيل المتجر.
pp-cat-members = موظفو المتجر
pp-purpose-members = من يعمل في أي متجر وبأي دور، ليتمكن كل شخص من أداء ما أذن له به المالك تحديدًا.
pp-cat-api-keys = مفاتيح API
pp-purpose-api-keys = اسم كل مفتاح ودوره وقيمة تجزئته ووقت آخر استخدام له، لإتاحة الوصول البرمجي إلى المتجر. ولا يُخزَّن المفتاح نفسه أبدًا.
pp-cat-invitations = دعوات الموظفين
pp-purpose-invitations = عنوان البريد الإلكتروني للشخص المدعو ودوره، ليتمكن من الانضمام إلى المتجر.
pp-cat-identity = الهوية المسجلة لمالك المتجر
pp-purpose-identity = لإجراء عمليات التحقق المعروفة بـ«اعرف عميلك» التي { $law ->
    [sa] يوجبها النظام
   *[other] يوجبها القانون
} قبل أن يتلقى المتجر المدفوعات، ولصرف إيرادات المتجر.
pp-cat-tenant-keys = مفتاح التشفير الخاص بمتجرك
pp-purpose-tenant-keys = لا يمكن قراءة أي عنصر مشفر من بيانات المتجر إلا من خلاله. والمفتاح نفسه مشفر بالمفتاح الجذري للمنصة.
pp-cat-documents = وثائق الهوية
pp-purpose-documents = للتحقق من هوية مالك المتجر. وتُزال بيانات الموقع والكاميرا من الصور عند رفعها.
pp-cat-privacy-settings = إعدادات الخصوصية لمتجرك
pp-purpose-privacy-settings = لإعداد سياسة الخصوصية الخاصة بمتجرك؛ وهي تحدّدك بصفتك جهة التحكم وتتضمن بيانات التواصل معك.
pp-cat-policy-versions = الإصدارات المنشورة من سياسة الخصوصية لمتجرك
pp-purpose-policy-versions = ليتسنى لاحقًا إثبات كل إصدار عُرض على عملائك.
pp-cat-audit-log = سجل التدقيق
pp-purpose-audit-log = سجل يبيّن من اطّلع على أي بيانات شخصية أو غيّرها، ومتى، ولأي غرض. ويذكر السجل أسماء الحقول والمعرّفات المستعارة، ولا يذكر القيم نفسها أبدًا، وتُثبت سلسلة من قيم التجزئة المرتبطة بمفتاح سري أنه لم يُعدَّل أي قيد ولم يُحذف.
pp-cat-data-requests = طلباتك المتعلقة بالبيانات
pp-purpose-data-requests = لتنفيذ طلبات التصدير والمحو التي تقدمها وإثبات تنفيذها: الطلب نفسه، وموعده النهائي، وملف التصدير حتى انتهاء صلاحيته، وإيصال المحو الموقّع الذي لا يتضمن أي بيانات شخصية.

pp-field-full-name = الاسم الكامل
pp-field-national-id = رقم الهوية الوطنية
pp-field-iban = رقم الحساب المصرفي (IBAN أو شبا)
pp-field-birth-date = تاريخ الميلاد
pp-field-phone = رقم الهاتف
pp-field-email = عنوان البريد الإلكتروني
pp-field-address = العنوان البريدي
pp-field-postal-code = الرمز البريدي
pp-field-country = الدولة
pp-field-national-id-front = الوجه الأمامي لبطاقة الهوية الوطنية
pp-field-national-id-back = الوجه الخلفي لبطاقة الهوية الوطنية
pp-field-selfie = صورة للمالك وهو يحمل البطاقة
pp-field-business-license = الرخصة التجارية

## Recipients
pp-recipients-hosting = { $name }: استضافة خوادم المنصة وقاعدة بياناتها ومساحة تخزين ملفاتها ({ $country }).
pp-recipients-processor = { $name }: { $role } نيابةً عن الجهة المشغّلة ({ $country }).
pp-recipients-reviewers = يطّلع المراجعون لدى الجهة المشغّلة على الهوية المسجلة ووثائق الهوية للبتّ فيها. وفي كل مرة يفتح فيها أحدهم وثيقة، يُسجَّل هذا الاطلاع والغرض منه في سجل التدقيق الخاص بمتجرك.
pp-recipients-shop-owner = يطّلع مالك المتجر على عنوان البريد الإلكتروني ودور كل شخص يعمل فيه.
pp-recipients-authorities = المحاكم والجهات الضريبية وغيرها من الجهات العامة، وذلك فقط حين { $law ->
    [sa] يوجب النظام ذلك
   *[other] يوجب القانون ذلك
}.

## Transfers
pp-transfers-intro = تعمل بعض الجهات المتلقية خارج { $country }، ولذلك قد تُنقل بياناتك إلى:
pp-transfers-row = { $recipient }: { $country }
pp-transfers-safeguards = يستند هذا النقل إلى شروط حماية البيانات لدى الجهات المتلقية. ويمكنك طلب نسخة من الضمانات عبر { $email }.

## Retention
pp-retention-intro = لا يُحتفظ بأي نوع من البيانات إلا للمدة المبيّنة أدناه، ثم تتولى مهمة الحذف الآلي في المنصة حذفه عند انقضائها. وتعتمد هذه المهمة وهذه الصفحة على الأرقام المضبوطة في الإعدادات ذاتها.
pp-retention-row = { $category }: { $period }.
pp-retention-part = { $category } ({ $part }): { $period }.
pp-part-sessions = الجلسات
pp-part-login-attempts = عدّادات محاولات تسجيل الدخول
pp-part-audit-log = القيود
pp-part-account-residue = ما لا يزال يشير إلى حساب ممحو
pp-part-service-log = سجل الخدمة
pp-part-data-requests = الطلبات وملفات التصدير
pp-retention-backups = يُكتب فوق النسخ الاحتياطية المشفرة بعد مدة قدرها { $period }. وقد تبقى فيها حتى ذلك الحين بيانات ممحوة، غير أن البيانات التي مُحيت بإتلاف مفتاحها لا يمكن قراءتها منها.
pp-period-while-account = حتى تمحو حسابك
pp-period-while-shop = حتى يُمحى المتجر
pp-period-kyc-setting = المدة التي تحددها إعدادات الخصوصية للمتجر، محتسبةً من صدور قرار المراجعة (وهي { $period } ما لم يحدد المالك مدة أخرى)
pp-period-as-proof = يُحتفظ بسجل كل طلب، دون أي بيانات شخصية، دليلًا على تنفيذه
pp-period-operator-logs = { $period } في نظام السجلات لدى الجهة المشغّلة؛ وهذا السجل يتضمن معرّفات الطلبات ومساراتها، ولا يتضمن أبدًا أي قيمة أدخلتها
pp-after-created = { $period } من تاريخ الإنشاء
pp-after-created-hours = { $period_cat ->
    [zero] { $period } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $period } ساعات
    [many] { $period } ساعةً
   *[other] { $period } ساعة
} من وقت الإنشاء
pp-after-last-use = { $period } من تاريخ آخر استخدام
pp-after-last-use-hours = { $period_cat ->
    [zero] { $period } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $period } ساعات
    [many] { $period } ساعةً
   *[other] { $period } ساعة
} من وقت آخر استخدام
pp-after-decision = { $period } من تاريخ صدور قرار المراجعة
pp-after-decision-hours = { $period_cat ->
    [zero] { $period } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $period } ساعات
    [many] { $period } ساعةً
   *[other] { $period } ساعة
} من وقت صدور قرار المراجعة
pp-after-ready = { $period } من تاريخ جاهزية ملف التصدير
pp-after-ready-hours = { $period_cat ->
    [zero] { $period } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $period } ساعات
    [many] { $period } ساعةً
   *[other] { $period } ساعة
} من وقت جاهزية ملف التصدير
pp-after-shop-erasure = { $period } من تاريخ محو المتجر
pp-after-shop-erasure-hours = { $period_cat ->
    [zero] { $period } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $period } ساعات
    [many] { $period } ساعةً
   *[other] { $period } ساعة
} من وقت محو المتجر
pp-after-account-erasure = { $period } من تاريخ محو الحساب
pp-after-account-erasure-hours = { $period_cat ->
    [zero] { $period } ساعة
    [one] ساعة واحدة
    [two] ساعتان
    [few] { $period } ساعات
    [many] { $period } ساعةً
   *[other] { $period } ساعة
} من وقت محو الحساب

## Rights
pp-rights-intro = يمكنك ممارسة هذه الحقوق بنفسك من خلال الطلبات المذكورة أدناه، أو بمراسلة الجهة المشغّلة.
pp-rights-access = الوصول: يمكنك أن تطلب نسخة من جميع البيانات التي تحتفظ بها المنصة عنك عبر الطلب { $account_route }، ونسخة من بيانات أي متجر تملكه عبر الطلب { $shop_route }. ويكون ملف التصدير جاهزًا خلال مهلة الرد المذكورة أدناه، ويمكن تنزيله حتى انتهاء صلاحيته.
pp-rights-rectify = التصحيح: يمكنك تصحيح هويتك المسجلة عبر الطلب { $identity_route }، وأي بيانات أخرى من خلال حسابك أو بمراسلة الجهة المشغّلة.
pp-rights-erase = المحو: يمكنك محو حسابك عبر الطلب { $account_route }، ومحو أي متجر تملكه عبر الطلب { $shop_route }. وتصبح البيانات غير قابلة للقراءة فورًا بإتلاف مفتاح تشفيرها، ثم تُحذف. وتتسلم إيصالًا موقّعًا يستطيع أي شخص التحقق منه عبر { $receipt_route }. ويُدرج في الإيصال ما { $law ->
    [sa] يُلزم النظامُ
   *[other] يُلزم القانونُ
} الجهةَ المشغّلة بالاحتفاظ به، مع تاريخ انتهاء ذلك.
pp-rights-restrict = التقييد: يمكنك أن تطلب من الجهة المشغّلة الاكتفاء بحفظ بياناتك دون أي استخدام آخر لها، وذلك خلال منازعتك في دقتها، أو إذا كان استخدامها مخالفًا للقانون وفضّلت تقييده على محوها، أو إذا لم تعد الجهة المشغّلة بحاجة إليها وكنت تحتاج إليها لمطالبة قانونية، أو ريثما يُبتّ في اعتراض.
pp-rights-object = الاعتراض: يمكنك الاعتراض على استخدام بياناتك القائم على المصلحة المشروعة للجهة المشغّلة، فيتوقف هذا الاستخدام ما لم توجد مسوّغات مشروعة ملحّة ترجح على مصالحك.
pp-rights-portability = قابلية النقل: يُقدَّم التصدير في صورة ملف مضغوط بصيغة ZIP يضم ملفات JSON والوثائق الأصلية، لتتمكن من نقل بياناتك إلى خدمة أخرى.
pp-rights-how = لأي أمر آخر، يمكنك المراسلة على { $email }. وترد الجهة المشغّلة في مدة أقصاها { $period }.
pp-rights-complain = يحق لك أيضًا تقديم شكوى إلى { $authority }.
pp-rights-complain-url = يحق لك أيضًا تقديم شكوى إلى { $authority }: { $url }.

## Security
pp-security-transport = تنتقل جميع الصفحات والطلبات عبر اتصال مشفر (HTTPS).
pp-security-encryption = تُشفَّر الهوية المسجلة ووثائق الهوية وملفات تصدير المتجر بمفتاح خاص بذلك المتجر وحده، فيؤدي محو المتجر إلى إتلاف هذا المفتاح، ولا يبقى منها شيء قابل للقراءة.
pp-security-hsm = تُحفظ المفاتيح الجذرية للمنصة في وحدة أمان الأجهزة (HSM) ولا تغادرها أبدًا.
pp-security-audit = في كل مرة يكشف فيها أحدٌ هويتك الكاملة أو ينزّل إحدى وثائقك، يُسجَّل هذا الوصول والغرض منه قبل فك تشفير أي شيء. ولا تعرض الشاشات الأخرى حقول الهوية إلا محجوبةً جزئيًا.
pp-security-documents = يُتحقَّق من أن الوثائق المرفوعة صور حقيقية أو ملفات PDF؛ وتُزال من الصور البيانات الوصفية كالموقع، وتُرفض ملفات PDF التي تحتوي على نصوص برمجية أو نماذج أو مرفقات.
pp-security-breach = لا يوجد نظام آمن تمامًا. وإذا عرّض أي اختراق حقوقك للخطر، فستُبلغك الجهة المشغّلة وتُبلغ الجهات المختصة وفق ما { $law ->
    [sa] يقتضيه النظام
   *[other] يقتضيه القانون
}.

## Changes
pp-changes = عند تغيّر طريقة تعامل المنصة مع البيانات، يُنشر في هذه الصفحة إصدار جديد من هذه السياسة مع تاريخه وقائمة بالتغييرات، وتبقى الإصدارات السابقة مدرجة أدناه.

## Contact
pp-contact-email = الاستفسارات المتعلقة بالخصوصية: { $email }
pp-contact-dpo = مسؤول حماية البيانات: { $email }

## Change descriptions
pp-change-operator = تغيّرت بيانات الجهة المشغّلة.
pp-change-hosting = الجهة المستضيفة للمنصة الآن: { $name } ({ $country }).
pp-change-processor-added = جهة معالجة جديدة: { $name } ({ $role }).
pp-change-processor-removed = أُزيلت جهة معالجة: { $name } ({ $role }).
pp-change-data-added = أصبحت المنصة تحتفظ بما يلي: { $category }.
pp-change-data-removed = لم تعد المنصة تحتفظ بما يلي: { $category }.
pp-change-data-changed = تغيّر ما يُحتفظ به أو سبب الاحتفاظ به أو الأساس الذي يستند إليه بالنسبة إلى: { $category }.
pp-change-retention = تغيّرت مدة الاحتفاظ بالنسبة إلى: { $category }.
pp-change-backups = تغيّرت مدة بقاء النسخ الاحتياطية قبل الكتابة فوقها: المدة الجديدة { $to }، والسابقة { $from }.
pp-change-logs = تغيّرت مدة الاحتفاظ بسجل الخدمة: المدة الجديدة { $to }، والسابقة { $from }.
pp-change-response-time = تغيّرت مهلة الرد على الطلبات: المهلة الجديدة { $to }، والسابقة { $from }.
pp-change-hsm-on = أصبحت المفاتيح الجذرية تُحفظ في وحدة أمان الأجهزة.
pp-change-hsm-off = لم تعد المفاتيح الجذرية تُحفظ في وحدة أمان الأجهزة.
pp-change-routes = تغيّرت الطلبات التي تُمارَس بها حقوقك.
