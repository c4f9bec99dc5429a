# harim-policy: Arabic (العربية). Arabic has six plural forms; see `days`.
# $law is `sa` for a Saudi controller (a statute is «نظام») and `other` elsewhere («قانون»);
# every clause passes it, so any message may select on it.

## Page frame
title = سياسة الخصوصية – { $shop }
intro = توضح هذه السياسة البيانات الشخصية التي يجمعها المتجر الإلكتروني { $shop } من عملائه، وسبب جمعها، والجهات التي تتلقاها، ومدة الاحتفاظ بها، والحقوق التي تتمتع بها.
last-updated = تاريخ آخر تحديث: { $date } (الإصدار { $version })
toc = المحتويات
history-title = سجل التحديثات
history-entry = الإصدار { $version }
history-first = أول إصدار منشور.
footer = أنشأ { $platform } هذه السياسة من إعدادات الخصوصية الحالية للمتجر، وهي الإعدادات نفسها التي تحدد طريقة تعامل المتجر مع بياناتك.
# Durations. $count is the CLDR plural category of the number (ICU4X), $t the number in the
# locale's digits, $case `nom` (nominative) or `obl` (after خلال / من / إلى: genitive, where
# only the dual differs). CLDR "few" (3–10 mod 100) takes the plural genitive, "many" (11–99
# mod 100) the singular accusative, "other" (100–102 mod 100: 100, 101, 200, 1000) the singular
# genitive.
days = { $count ->
    [one] يوم واحد
    [two] { $case ->
        [obl] يومين
       *[nom] يومان
    }
    [few] { $t } أيام
    [many] { $t } يومًا
   *[other] { $t } يوم
}
months = { $count ->
    [one] شهر واحد
    [two] { $case ->
        [obl] شهرين
       *[nom] شهران
    }
    [few] { $t } أشهر
    [many] { $t } شهرًا
   *[other] { $t } شهر
}
years = { $count ->
    [one] سنة واحدة
    [two] { $case ->
        [obl] سنتين
       *[nom] سنتان
    }
    [few] { $t } سنوات
    [many] { $t } سنةً
   *[other] { $t } سنة
}
date-with-gregorian = { $date }، الموافق { $gregorian }م

## Section titles
section-controller = الجهة المسؤولة عن بياناتك
section-data = البيانات التي نجمعها
section-purposes = لماذا نستخدم بياناتك، وعلى أي أساس
section-recipients = الجهات التي تتلقى بياناتك
section-transfers = نقل البيانات إلى دول أخرى
section-retention = مدة الاحتفاظ ببياناتك
section-rights = حقوقك
section-cookies = ملفات تعريف الارتباط
section-children = الحد الأدنى للعمر
section-security = حماية بياناتك
section-changes = التعديلات على هذه السياسة
section-contact = التواصل

## Controller
controller-identity = جهة التحكم في بياناتك الشخصية هي { $legal_name }، وتتولى إدارة المتجر الإلكتروني { $shop }.
controller-country = مقر جهة التحكم: { $country }.
controller-registration = رقم السجل التجاري: { $number }.
controller-platform = أُنشئ المتجر ويُستضاف على { $platform }. ولا يعالج { $platform } بيانات العملاء إلا بتعليمات من المتجر، بصفته جهة معالجة لصالحه.
controller-dpo = يمكنك التواصل مع مسؤول حماية البيانات عبر { $email }.

## Data
data-intro = يجمع المتجر منك البيانات التالية. البيانات الموصوفة بأنها إلزامية ضرورية لقبول طلبك، ويمكنك عدم تقديم البيانات الأخرى.
data-row = { $category } ({ $need ->
    [required] { $gender ->
        [feminine] إلزامية
       *[other] إلزامي
    }
   *[optional] { $gender ->
        [feminine] اختيارية
       *[other] اختياري
    }
}): { $purpose }
data-consequences = إذا لم تقدم البيانات الإلزامية فلن يتمكن المتجر من قبول طلبك أو توصيله أو متابعته، ولا يترتب على ذلك أي أثر آخر.
cat-name = الاسم الكامل
    .gender = masculine
cat-email = البريد الإلكتروني
    .gender = masculine
cat-phone = رقم الهاتف
    .gender = masculine
cat-address = العنوان
    .gender = masculine
cat-postal-code = الرمز البريدي
    .gender = masculine
cat-order-history = سجل الطلبات
    .gender = masculine
cat-payment-reference = مرجع الدفع
    .gender = masculine
cat-ip-address = عنوان IP
    .gender = masculine
cat-device-cookies = بيانات الجهاز وملفات تعريف الارتباط
    .gender = feminine
cat-birth-date = تاريخ الميلاد
    .gender = masculine
cat-national-id = رقم الهوية الوطنية
    .gender = masculine
cat-identity-document = صورة وثيقة الهوية
    .gender = feminine
purpose-name = لمخاطبتك ووضع اسمك على الشحنة.
purpose-email = لإرسال تأكيدات الطلبات والرد على استفساراتك.
purpose-phone = للتواصل معك بشأن طلبك.
purpose-phone-courier = للتواصل معك بشأن طلبك، وليتمكن مندوب التوصيل من الاتصال بك عند التسليم.
purpose-address = لتوصيل طلبك وإصدار الفواتير.
purpose-postal-code = لتوصيل طلبك وحساب تكلفة الشحن.
purpose-order-history = لتنفيذ طلباتك ومتابعتها وقيدها محاسبيًا.
purpose-payment-reference = لمطابقة الدفعة مع الطلب ومعالجة المبالغ المستردة. لا تُخزَّن أرقام البطاقات مطلقًا.
purpose-ip-address = للحفاظ على أمن المتجر ومنع الاحتيال.
purpose-device-cookies = لكي تعمل سلة التسوق وتسجيل الدخول.
purpose-birth-date = للتحقق من بلوغك الحد الأدنى للعمر.
purpose-national-id = لإصدار الفواتير والوفاء بالالتزامات { $law ->
    [sa] النظامية
   *[other] القانونية
} التي تتطلبه.
purpose-identity-document = للتحقق من هويتك حين يتطلب ذلك { $law ->
    [sa] النظام
   *[other] القانون
} أو طبيعة السلعة.

## Purposes
purposes-orders = قبول طلباتك ومعالجتها وتوصيلها ومتابعتها. { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: تنفيذ العقد المبرم معك.
purposes-legal = الاحتفاظ بسجلات الطلبات والفواتير التي تفرضها { $law ->
    [sa] الأنظمة
   *[other] القوانين
} الضريبية والتجارية. { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: التزام { $law ->
    [sa] نظامي
   *[other] قانوني
}.
notifications-order-email = يتلقى المتجر عن كل طلب رسالة في بريده الإلكتروني تتضمن تفاصيل الطلب، ومنها اسمك وبيانات التواصل معك، ليتمكن من معالجته. { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: تنفيذ العقد. لا تُرسل هذه الرسالة إلا إلى المتجر، وهي جزء من معالجة طلبك، فلا يمكن إيقافها لطلب بعينه.
notifications-order-sms = اختار مالك المتجر إرسال رسائل نصية قصيرة بشأن طلبك إلى رقم الهاتف الذي تقدمه، مثلًا عند تسجيل الطلب أو شحنه. تُرسل هذه الرسائل عبر { $providers }. { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: تنفيذ العقد.
notifications-sms-opt-out-optional = لا تتضمن هذه الرسائل إلا معلومات عن طلبك، ولا تحمل أي إعلان. وإن لم تكن ترغب فيها فلا تُدخل رقم هاتفك عند الطلب؛ فبدونه لا تُرسل إليك أي رسالة نصية.
notifications-sms-opt-out-required = لا تتضمن هذه الرسائل إلا معلومات عن طلبك، ولا تحمل أي إعلان. ولأن رقم الهاتف إلزامي في كل طلب فلا يمكن إيقافها لطلب بعينه، ويمكنك الاعتراض عليها بمراسلة { $email }.
notifications-marketing = { $channels ->
    [sms] لا يرسل المتجر إليك عروضه وأخباره برسائل نصية إلا إذا وافقت على ذلك. { $law ->
        [sa] الأساس النظامي
       *[other] الأساس القانوني
    }: موافقتك. وتذكر كل رسالة من هذه الرسائل أنها إعلانية وكيف توقفها.
    [email] لا يرسل المتجر إليك عروضه وأخباره بالبريد الإلكتروني إلا إذا وافقت على ذلك. { $law ->
        [sa] الأساس النظامي
       *[other] الأساس القانوني
    }: موافقتك. وتذكر كل رسالة من هذه الرسائل كيف توقف استلامها.
   *[both] لا يرسل المتجر إليك عروضه وأخباره برسائل نصية أو بالبريد الإلكتروني إلا إذا وافقت على ذلك، ولك أن تقرر في كل وسيلة منهما على حدة. { $law ->
        [sa] الأساس النظامي
       *[other] الأساس القانوني
    }: موافقتك. وتذكر كل رسالة من هذه الرسائل أنها إعلانية وكيف توقفها.
}
consent-withdraw = { $sms ->
    [yes] يمكنك في أي وقت أن تغيّر أي موافقة أو تسحبها بالسهولة نفسها التي منحتها بها: من نافذة الموافقة في صفحات المتجر، أو من صفحة الخصوصية في المتجر، أو بالرد على الرسالة النصية الإعلانية بكلمة «إلغاء». وتتوقف المعالجة من تلك اللحظة، ويبقى ما تم قبلها مشروعًا.
   *[no] يمكنك في أي وقت أن تغيّر أي موافقة أو تسحبها بالسهولة نفسها التي منحتها بها: من نافذة الموافقة في صفحات المتجر أو من صفحة الخصوصية في المتجر. وتتوقف المعالجة من تلك اللحظة، ويبقى ما تم قبلها مشروعًا.
}
purposes-security = لحماية المتجر من الهجمات والاحتيال وإساءة الاستخدام، يُحتفظ بسجلات الخادم مع عناوين IP. { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: المصلحة المشروعة للمتجر في تقديم خدمة آمنة.
analytics-services = بموافقتك، يقيس المتجر طريقة استخدام الزوار له عبر { $how_many ->
    [one] خدمة التحليل التالية: { $services }. وتتلقى هذه الخدمة
   *[other] خدمات التحليل التالية: { $services }. وتتلقى هذه الخدمات
} عنوان IP وبيانات الجهاز والصفحات التي تزورها. { $law ->
    [sa] الأساس النظامي
   *[other] الأساس القانوني
}: موافقتك، ويمكنك سحبها في أي وقت.
purposes-automated-profiling = لا يُتخذ أي قرار ذي أثر { $law ->
    [sa] نظامي
   *[other] قانوني
} أو أثر مماثل بالغ عليك بوسائل آلية فقط. وإذا وافقت على التحليلات، فقد تُنشئ { $services } ملفًا تعريفيًا عن طريقة استخدامك للمتجر (الصفحات التي تزورها، والنقرات، والجهاز، وتكرار الزيارات)، ولا يستخدم المتجر هذه الملفات إلا لتحسين المتجر، ولا يتخذ بناءً عليها أي قرار بشأنك.
purposes-automated = لا يُتخذ أي قرار ذي أثر { $law ->
    [sa] نظامي
   *[other] قانوني
} أو أثر مماثل بالغ عليك بوسائل آلية فقط، ولا يجري أي تنميط.

## Recipients
recipients-platform = { $platform }: يستضيف المتجر ويعالج البيانات نيابةً عنه (جهة معالجة، { $country }).
recipients-processor = { $name }: { $role } (جهة معالجة، { $country }).
recipients-payment = { $gateway }: معالجة المدفوعات ({ $country }).
recipients-analytics = { $service }: تحليل الزيارات ({ $country }).
recipients-analytics-url = { $service }: تحليل الزيارات ({ $country })، وسياسة الخصوصية الخاصة بها: { $url }
recipients-authorities = المحاكم والجهات الضريبية وغيرها من الجهات العامة، وذلك فقط حين يوجب { $law ->
    [sa] النظام
   *[other] القانون
} ذلك.
role-sms = إرسال الرسائل النصية
role-email = إرسال البريد الإلكتروني
role-hosting = الاستضافة والبنية التحتية
role-shipping = توصيل الطلبات
role-support = خدمة العملاء
gateway-zarinpal = زرين بال
gateway-idpay = آي دي باي
gateway-behpardakht = به برداخت ملت
gateway-saman = سامان للدفع الإلكتروني
gateway-raiffeisen-pos = نقاط بيع بنك رايفايزن
gateway-hyperpay = هايبر باي
gateway-moyasar = ميسر
gateway-tap = تاب للمدفوعات
gateway-telr = تلر
gateway-stripe = سترايب
gateway-paypal = باي بال

## Countries
country-ir = إيران
country-al = ألبانيا
country-xk = كوسوفو
country-mk = مقدونيا الشمالية
country-sa = المملكة العربية السعودية
country-ae = الإمارات العربية المتحدة
country-kw = الكويت
country-bh = البحرين
country-qa = قطر
country-om = عُمان
country-tr = تركيا
country-de = ألمانيا
country-fr = فرنسا
country-it = إيطاليا
country-ie = أيرلندا
country-nl = هولندا
country-mt = مالطا
country-gb = المملكة المتحدة
country-us = الولايات المتحدة الأمريكية
country-ru = روسيا

## Transfers
transfers-intro = تعالج بعض الجهات المتلقية البيانات خارج { $country }، لذا قد تُنقل بياناتك إلى:
transfers-row = { $recipient }: { $country }
transfers-safeguards = يستند هذا النقل إلى شروط حماية البيانات التي التزمت بها كل جهة متلقية. ويمكنك طلب نسخة من هذه الضمانات عبر { $email }.

## Retention
retention-intro = لا يُحتفظ بالبيانات إلا للمدة اللازمة للأغراض المذكورة أعلاه، ثم تُحذف أو تُجعل مجهولة الهوية.
retention-customer-accounts = بيانات حساب العميل والتواصل: { $period } بعد آخر نشاط لك في المتجر.
retention-orders = الطلبات ومراجع الدفع: { $period } بعد الطلب، وفق ما تفرضه { $law ->
    [sa] الأنظمة
   *[other] القوانين
} الضريبية والتجارية.
retention-server-logs = سجلات الخادم وعناوين IP وبيانات الأجهزة: { $period }.
retention-kyc = وثائق الهوية: { $period } بعد صدور قرار التحقق.
retention-after-deletion = بعد حذف حسابك، تُمحى البيانات الشخصية المتبقية خلال { $period_obl }، باستثناء السجلات التي يلزم { $law ->
    [sa] النظام
   *[other] القانون
} المتجر بالاحتفاظ بها.
retention-backups = قد تبقى البيانات الممحوة في النسخ الاحتياطية المشفرة لدى { $platform } مدةً أقصاها { $period }، ولا تُستخدم هذه النسخ إلا لاستعادة الخدمة، ثم يُكتب فوقها.
retention-kind-customer-accounts-days = بيانات حسابات العملاء
retention-kind-orders-days = الطلبات
retention-kind-server-logs-days = سجلات الخادم
retention-kind-kyc-documents-after-decision-days = وثائق الهوية
retention-kind-after-account-deletion-days = المحو بعد حذف الحساب

## Rights
rights-intro = لك الحقوق التالية على بياناتك الشخصية:
rights-access = الوصول: طلب نسخة من البيانات التي يحتفظ بها المتجر عنك.
rights-rectify = التصحيح: تصحيح البيانات غير الدقيقة أو الناقصة.
rights-erase = الإتلاف: حذف بياناتك حين لا تعود لازمة للأغراض المذكورة أعلاه، أو حين تسحب موافقة كانت المعالجة تستند إليها، أو حين تعترض ولا يبقى مسوغ أرجح لاستمرارها، أو حين تكون قد عولجت على نحو غير مشروع. أما السجلات التي يلزم { $law ->
    [sa] النظام
   *[other] القانون
} المتجر بالاحتفاظ بها فتُحذف عند انتهاء هذا الالتزام.
rights-restrict = التقييد: الاكتفاء بحفظ بياناتك دون أي استخدام آخر في الحالات التالية: ريثما يُتحقق من دقتها إذا اعترضت عليها؛ أو إذا كانت المعالجة غير مشروعة وطلبت التقييد بدل الحذف؛ أو إذا لم يعد المتجر بحاجة إليها وكنت تحتاج إليها لإثبات حق أو ممارسته أو الدفاع عنه أمام القضاء؛ أو ريثما يُتحقق مما إذا كانت المسوغات المشروعة للمتجر ترجح على اعتراضك.
rights-object = الاعتراض: الاعتراض على المعالجة القائمة على المصلحة المشروعة، وعلى التسويق المباشر في أي وقت.
rights-portability = قابلية النقل: الحصول على البيانات التي قدمتها بصيغة منظمة يمكن للآلة قراءتها.
rights-withdraw = سحب الموافقة: حين تستند المعالجة إلى موافقتك يمكنك سحبها في أي وقت، وتبقى المعالجة السابقة للسحب مشروعة.
rights-how = لممارسة هذه الحقوق راسلنا على { $email }. يرد المتجر خلال { $period_obl }.
rights-page = ويمكنك كذلك من صفحة طلبات الخصوصية في المتجر، { $url }، أن تطلب نسخة من بياناتك أو تصحيحها أو إتلافها أو إيقاف الرسائل التسويقية، وأن تطّلع على موافقاتك أو تسحبها. ويُؤكَّد الطلب برمز يُستخدم مرة واحدة يُرسل إلى البريد الإلكتروني أو رقم الهاتف الذي تتسوق به.
rights-complain = يحق لك أيضًا تقديم شكوى إلى { $authority }.
rights-complain-url = يحق لك أيضًا تقديم شكوى إلى { $authority }، وموقعها الإلكتروني: { $url }.
authority-al = مفوض الحق في المعلومات وحماية البيانات الشخصية في ألبانيا (IDP)
authority-sa = الهيئة السعودية للبيانات والذكاء الاصطناعي (سدايا)
authority-ae = مكتب الإمارات للبيانات
authority-ir = المحاكم والجهات القضائية المختصة في إيران
authority-eu = هيئة الإشراف على حماية البيانات في البلد الذي تقيم أو تعمل فيه
authority-other = هيئة حماية البيانات أو المحاكم في بلدك

## Cookies
cookies-essential = يستخدم المتجر ملفات تعريف ارتباط ضرورية حصرًا لسلة التسوق وتسجيل الدخول وإتمام الشراء. لا تتطلب موافقة، وتنتهي صلاحيتها حين تنتفي الحاجة إليها.
cookies-analytics = لا تُحفظ ملفات تعريف الارتباط التحليلية إلا بعد موافقتك، ويمكنك تغيير اختيارك في أي وقت.

## Children
children-age = المتجر موجه لمن بلغوا { $age } عامًا فأكثر، ولا يجمع عن علم بيانات من هم دون ذلك؛ فإن كان عمرك أقل من { $age } عامًا فاطلب من أحد والديك أو وليّ أمرك أن يطلب نيابةً عنك.

## Security
security-transport = تُقدَّم جميع الصفحات عبر اتصالات مشفرة فقط (HTTPS).
security-encryption = تُخزَّن البيانات الشخصية مشفرة، ويُسجَّل كل اطلاع للموظفين عليها في لوحة إدارة المتجر مع الغرض منه.
security-encryption-order-email = تُخزَّن البيانات الشخصية مشفرة، ويُسجَّل كل اطلاع للموظفين عليها في لوحة إدارة المتجر مع الغرض منه. أما رسالة الطلب في بريد المتجر فتقع خارج هذا السجل: فكل من يستطيع قراءة ذلك البريد يستطيع قراءة تفاصيل الطلب فيه.
security-cards = تُدخل بيانات البطاقة مباشرة لدى مزود خدمة الدفع، ولا يخزنها المتجر ولا { $platform }.
security-breach = لا يوجد نظام آمن تمامًا. وإذا عرّض أي تسرب حقوقك للخطر فسيجري إبلاغك وفق ما يقتضيه { $law ->
    [sa] النظام
   *[other] القانون
}.

## Changes
changes-publication = عند تعديل هذه السياسة يُنشر الإصدار الجديد في هذه الصفحة مع تاريخه وقائمة بالتعديلات، وتبقى الإصدارات السابقة متاحة.
changes-email = قبل سريان أي تعديل جوهري، كغرض جديد أو جهة متلقية جديدة، يُبلَّغ العملاء بالبريد الإلكتروني.

## Contact
contact-email = البريد الإلكتروني: { $email }
contact-phone = الهاتف: { $phone }
contact-address = العنوان البريدي: { $address }

## Change descriptions
change-data-added = بيانات جديدة تُجمع: { $category } ({ $need ->
    [required] { $gender ->
        [feminine] إلزامية
       *[other] إلزامي
    }
   *[optional] { $gender ->
        [feminine] اختيارية
       *[other] اختياري
    }
}).
change-data-removed = بيانات لم تعد تُجمع: { $category }.
change-data-requirement = { $gender ->
    [feminine] أصبحت
   *[other] أصبح
} { $category } { $need ->
    [required] { $gender ->
        [feminine] إلزاميةً
       *[other] إلزاميًا
    }
   *[optional] { $gender ->
        [feminine] اختياريةً
       *[other] اختياريًا
    }
}.
change-order-email-on = أصبح المتجر يتلقى بريدًا إلكترونيًا عن كل طلب.
change-order-email-off = لم يعد المتجر يتلقى بريدًا إلكترونيًا عن كل طلب.
change-order-sms-on = أصبحت الرسائل النصية بشأن الطلبات تُرسل.
change-order-sms-off = لم تعد الرسائل النصية بشأن الطلبات تُرسل.
change-marketing-sms-on = أصبحت العروض تُرسل برسائل نصية إلى العملاء الذين يوافقون عليها.
change-marketing-sms-off = لم تعد العروض تُرسل برسائل نصية.
change-marketing-email-on = أصبحت العروض تُرسل بالبريد الإلكتروني إلى العملاء الذين يوافقون عليها.
change-marketing-email-off = لم تعد العروض تُرسل بالبريد الإلكتروني.
change-analytics-added = أُضيفت خدمة تحليل: { $service }.
change-analytics-removed = أُزيلت خدمة تحليل: { $service }.
change-gateway-added = أُضيف مزود دفع: { $gateway }.
change-gateway-removed = أُزيل مزود دفع: { $gateway }.
change-processor-added = أُضيفت جهة معالجة: { $name } ({ $role }).
change-processor-removed = أُزيلت جهة معالجة: { $name } ({ $role }).
change-retention = تغيرت مدة الاحتفاظ: { $kind }، من { $from_obl } إلى { $to_obl }.
change-response-time = تغيرت مهلة الرد على الطلبات من { $from_obl } إلى { $to_obl }.
change-minimum-age = تغير الحد الأدنى للعمر من { $from } إلى { $to } عامًا.
change-contact = تغيرت بيانات التواصل.
change-controller = تغيرت بيانات جهة التحكم.
change-locale-added = أصبحت السياسة متاحة أيضًا باللغة { $language }.
change-locale-removed = لم تعد السياسة متاحة باللغة { $language }.
lang-en = الإنجليزية
lang-fa = الفارسية
lang-ar = العربية
lang-sq = الألبانية
