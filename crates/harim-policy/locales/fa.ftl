# harim-policy: Persian (فارسی).

## Page frame
title = سیاست حفظ حریم خصوصی { $shop }
intro = این سند توضیح می‌دهد که فروشگاه اینترنتی { $shop } چه داده‌های شخصی‌ای از مشتریان خود جمع‌آوری می‌کند، به چه دلیل، چه کسانی آن‌ها را دریافت می‌کنند، تا چه مدت نگه داشته می‌شوند و شما چه حقوقی دارید.
last-updated = آخرین به‌روزرسانی: { $date } (نسخهٔ { $version })
toc = فهرست مطالب
history-title = تاریخچهٔ تغییرات
history-entry = نسخهٔ { $version }
history-first = نخستین نسخهٔ منتشرشده.
footer = این سند را { $platform } از روی تنظیمات فعلی حریم خصوصی فروشگاه ساخته است؛ همان تنظیماتی که نحوهٔ رفتار فروشگاه با داده‌های شما را تعیین می‌کند.
days = { $t } روز

## Section titles
section-controller = مسئول داده‌های شما کیست
section-data = داده‌هایی که جمع‌آوری می‌کنیم
section-purposes = هدف استفاده از داده‌ها و مبنای قانونی آن
section-recipients = دریافت‌کنندگان داده‌ها
section-transfers = انتقال داده به کشورهای دیگر
section-retention = مدت نگهداری داده‌ها
section-rights = حقوق شما
section-cookies = کوکی‌ها
section-children = حداقل سن
section-security = حفاظت از داده‌ها
section-changes = تغییرات این سند
section-contact = تماس با ما

## Controller
controller-identity = مسئول (کنترل‌کنندهٔ) داده‌های شخصی شما { $legal_name } است که فروشگاه اینترنتی { $shop } را اداره می‌کند.
controller-country = محل استقرار مسئول داده‌ها: { $country }.
controller-registration = شمارهٔ ثبت: { $number }.
controller-platform = این فروشگاه روی { $platform } ساخته و میزبانی شده است. { $platform } داده‌های مشتریان را فقط بنا بر دستور فروشگاه و به‌عنوان پردازشگر آن پردازش می‌کند.
controller-dpo = برای تماس با مسئول حفاظت از داده‌ها به نشانی { $email } بنویسید.

## Data
data-intro = فروشگاه داده‌های زیر را از شما دریافت می‌کند. موارد «الزامی» برای ثبت سفارش لازم‌اند و می‌توانید بقیه را وارد نکنید.
data-row = { $category } ({ $need }): { $purpose }
data-consequences = اگر داده‌های الزامی را ندهید، فروشگاه نمی‌تواند سفارش شما را بپذیرد، ارسال کند یا پیگیری کند. ندادن این داده‌ها پیامد دیگری ندارد.
need-required = الزامی
need-optional = اختیاری
cat-name = نام و نام خانوادگی
cat-email = نشانی ایمیل
cat-phone = شمارهٔ تلفن
cat-address = نشانی
cat-postal-code = کد پستی
cat-order-history = سابقهٔ سفارش‌ها
cat-payment-reference = شناسهٔ پرداخت
cat-ip-address = نشانی IP
cat-device-cookies = داده‌های دستگاه و کوکی
cat-birth-date = تاریخ تولد
cat-national-id = کد ملی
cat-identity-document = تصویر مدرک هویتی
purpose-name = برای خطاب کردن شما و درج روی مرسوله.
purpose-email = برای ارسال تأییدیهٔ سفارش و پاسخ به پرسش‌های شما.
purpose-phone = برای تماس دربارهٔ سفارش و هماهنگی پیک.
purpose-address = برای ارسال سفارش و صدور فاکتور.
purpose-postal-code = برای ارسال سفارش و محاسبهٔ هزینهٔ ارسال.
purpose-order-history = برای انجام، پشتیبانی و حسابداری سفارش‌ها.
purpose-payment-reference = برای تطبیق پرداخت با سفارش و بازگرداندن وجه. شمارهٔ کارت هرگز ذخیره نمی‌شود.
purpose-ip-address = برای امنیت فروشگاه و جلوگیری از تقلب.
purpose-device-cookies = برای کار کردن سبد خرید و ورود به حساب.
purpose-birth-date = برای بررسی رعایت حداقل سن.
purpose-national-id = برای صدور فاکتور و انجام تکالیف قانونی‌ای که آن را لازم می‌دانند.
purpose-identity-document = برای احراز هویت، در جایی که قانون یا نوع کالا آن را لازم کند.

## Purposes
purposes-orders = پذیرش، پردازش، ارسال و پشتیبانی سفارش‌های شما. مبنای قانونی: اجرای قرارداد با شما.
purposes-legal = نگهداری سوابق سفارش و فاکتور که قوانین مالیاتی و تجاری لازم می‌دانند. مبنای قانونی: تکلیف قانونی.
notifications-order-email = برای هر سفارش، ایمیلی حاوی جزئیات سفارش، از جمله نام و اطلاعات تماس شما، برای فروشگاه فرستاده می‌شود تا سفارش را پردازش کند. مبنای قانونی: اجرای قرارداد.
notifications-order-sms = صاحب فروشگاه ارسال پیامک دربارهٔ سفارش را فعال کرده است؛ برای نمونه هنگام ثبت یا ارسال سفارش، پیامکی به شماره‌ای که وارد کرده‌اید فرستاده می‌شود. این پیامک‌ها از طریق { $providers } ارسال می‌شوند. مبنای قانونی: اجرای قرارداد.
purposes-security = برای حفاظت از فروشگاه در برابر حمله، تقلب و سوءاستفاده، گزارش‌های سرور همراه با نشانی IP نگه داشته می‌شوند. مبنای قانونی: منفعت مشروع فروشگاه در ارائهٔ خدمتی امن.
analytics-services = فروشگاه با رضایت شما، نحوهٔ استفادهٔ بازدیدکنندگان را با این سرویس‌های آماری می‌سنجد: { $services }. این سرویس‌ها نشانی IP، داده‌های دستگاه و صفحه‌های بازدیدشده را دریافت می‌کنند. مبنای قانونی: رضایت شما که هر زمان می‌توانید آن را پس بگیرید.
purposes-automated = هیچ تصمیمی که اثر حقوقی یا اثر مهم مشابهی بر شما داشته باشد صرفاً به‌صورت خودکار گرفته نمی‌شود و نمایه‌سازی (پروفایلینگ) انجام نمی‌شود.

## Recipients
recipients-platform = { $platform }: میزبان فروشگاه که داده‌ها را از طرف آن پردازش می‌کند (پردازشگر).
recipients-processor = { $name }: { $role } (پردازشگر، { $country }).
recipients-payment = { $gateway }: پردازش پرداخت ({ $country }).
recipients-analytics = { $service }: آمار بازدیدکنندگان ({ $country }).
recipients-authorities = دادگاه‌ها، سازمان امور مالیاتی و دیگر مراجع رسمی، فقط هنگامی که قانون الزام کند.
role-sms = ارسال پیامک
role-email = ارسال ایمیل
role-hosting = میزبانی و زیرساخت
role-shipping = ارسال سفارش‌ها
role-support = پشتیبانی مشتریان
gateway-zarinpal = زرین‌پال
gateway-idpay = آیدی‌پی
gateway-behpardakht = به‌پرداخت ملت
gateway-saman = پرداخت الکترونیک سامان (سپ)
gateway-raiffeisen-pos = درگاه بانک رایفایزن
gateway-hyperpay = هایپرپی
gateway-moyasar = میسر
gateway-tap = تپ
gateway-telr = تلر
gateway-stripe = استرایپ
gateway-paypal = پی‌پل

## Countries
country-ir = ایران
country-al = آلبانی
country-xk = کوزوو
country-mk = مقدونیهٔ شمالی
country-sa = عربستان سعودی
country-ae = امارات متحدهٔ عربی
country-kw = کویت
country-bh = بحرین
country-qa = قطر
country-om = عمان
country-tr = ترکیه
country-de = آلمان
country-fr = فرانسه
country-it = ایتالیا
country-ie = ایرلند
country-nl = هلند
country-mt = مالت
country-gb = بریتانیا
country-us = ایالات متحدهٔ آمریکا
country-ru = روسیه

## Transfers
transfers-intro = برخی از دریافت‌کنندگان، داده‌ها را بیرون از { $country } پردازش می‌کنند؛ بنابراین ممکن است داده‌های شما به این کشورها منتقل شود:
transfers-row = { $recipient }: { $country }
transfers-safeguards = این انتقال‌ها بر پایهٔ شرایط حفاظت از دادهٔ دریافت‌کنندگان و، در جایی که قانون لازم بداند، رضایت شما انجام می‌شود. برای دریافت رونوشت این تضمین‌ها به { $email } بنویسید.

## Retention
retention-intro = داده‌ها فقط تا زمانی که برای هدف‌های بالا لازم است نگه داشته می‌شوند و پس از آن حذف یا بی‌نام می‌شوند.
retention-customer-accounts = داده‌های حساب کاربری و تماس: { $period } پس از آخرین فعالیت شما در فروشگاه.
retention-orders = سفارش‌ها و شناسه‌های پرداخت: { $period } پس از سفارش، بنا بر الزام قوانین مالیاتی و تجاری.
retention-server-logs = گزارش‌های سرور، نشانی‌های IP و داده‌های دستگاه: { $period }.
retention-kyc = مدارک هویتی: { $period } پس از تصمیم دربارهٔ احراز هویت.
retention-after-deletion = پس از حذف حساب کاربری، داده‌های شخصی باقی‌مانده ظرف { $period } پاک می‌شوند، مگر سوابقی که فروشگاه قانوناً باید نگه دارد.
retention-backups = نسخه‌های پشتیبان رمزنگاری‌شده‌ای که { $platform } نگه می‌دارد ممکن است داده‌های پاک‌شده را تا { $period } دیگر در خود داشته باشند؛ از این نسخه‌ها جز برای بازیابی سرویس استفاده نمی‌شود و پس از این مدت بازنویسی می‌شوند.
retention-kind-customer-accounts-days = داده‌های حساب مشتری
retention-kind-orders-days = سفارش‌ها
retention-kind-server-logs-days = گزارش‌های سرور
retention-kind-kyc-documents-after-decision-days = مدارک هویتی
retention-kind-after-account-deletion-days = پاک‌سازی پس از حذف حساب

## Rights
rights-intro = شما دربارهٔ داده‌های شخصی خود این حقوق را دارید:
rights-access = دسترسی: دریافت رونوشتی از داده‌هایی که فروشگاه دربارهٔ شما نگه می‌دارد.
rights-rectify = اصلاح: تصحیح داده‌های نادرست یا ناقص.
rights-erase = حذف: پاک شدن داده‌هایتان در هر زمان، مگر سوابقی که فروشگاه قانوناً باید نگه دارد.
rights-restrict = محدودسازی: درخواست اینکه تا روشن شدن یک اعتراض، داده‌هایتان فقط نگه داشته شود و استفادهٔ دیگری از آن نشود.
rights-object = اعتراض: اعتراض به پردازش مبتنی بر منفعت مشروع، و به بازاریابی مستقیم در هر زمان.
rights-portability = قابلیت انتقال: دریافت داده‌هایی که داده‌اید در قالبی ساخت‌یافته و ماشین‌خوان.
rights-withdraw = پس گرفتن رضایت: در جایی که پردازش بر پایهٔ رضایت شماست، می‌توانید هر زمان آن را پس بگیرید؛ پردازش پیش از آن همچنان قانونی می‌ماند.
rights-how = برای استفاده از این حقوق به { $email } بنویسید. فروشگاه ظرف { $period } پاسخ می‌دهد.
rights-complain = همچنین حق دارید به { $authority } شکایت کنید.
rights-complain-url = همچنین حق دارید به { $authority } ({ $url }) شکایت کنید.
authority-al = کمیسر حق دسترسی به اطلاعات و حفاظت از داده‌های شخصی آلبانی (IDP)
authority-sa = سازمان داده و هوش مصنوعی عربستان سعودی (سدایا)
authority-ae = دفتر داده‌های امارات متحدهٔ عربی
authority-ir = دادگاه‌ها و مراجع قضایی صالح ایران
authority-eu = نهاد ناظر حفاظت از داده در کشور محل زندگی یا کار خود
authority-other = مرجع حفاظت از داده یا دادگاه‌های کشور خود

## Cookies
cookies-essential = فروشگاه از کوکی‌هایی استفاده می‌کند که برای سبد خرید، ورود به حساب و پرداخت ضروری‌اند. این کوکی‌ها به رضایت نیاز ندارند و پس از بی‌نیازی منقضی می‌شوند.
cookies-analytics = کوکی‌های آماری فقط پس از موافقت شما ذخیره می‌شوند و می‌توانید هر زمان این انتخاب را تغییر دهید.

## Children
children-age = این فروشگاه برای افراد { $age } سال و بالاتر است. فروشگاه آگاهانه داده‌ای از افراد کم‌سن‌تر جمع‌آوری نمی‌کند؛ اگر کم‌سن‌تر هستید، از پدر، مادر یا سرپرست خود بخواهید برایتان سفارش دهد.

## Security
security-transport = همهٔ صفحه‌ها فقط از راه اتصال رمزنگاری‌شده (HTTPS) ارائه می‌شوند.
security-encryption = داده‌های شخصی به‌صورت رمزنگاری‌شده ذخیره می‌شوند و هر بار که کارکنان آن‌ها را ببینند، این دسترسی همراه با هدفش ثبت می‌شود.
security-cards = اطلاعات کارت مستقیماً در درگاه پرداخت وارد می‌شود و نه فروشگاه و نه { $platform } آن را ذخیره نمی‌کنند.
security-breach = هیچ سامانه‌ای کاملاً امن نیست. اگر رخنه‌ای حقوق شما را به خطر بیندازد، طبق قانون به شما اطلاع داده می‌شود.

## Changes
changes-publication = هر تغییر در این سند با تاریخ و فهرست تغییرات در همین صفحه منتشر می‌شود و نسخه‌های پیشین نیز در دسترس می‌مانند.
changes-email = پیش از اجرای تغییرات مهم، مانند هدف یا دریافت‌کنندهٔ جدید، از راه ایمیل به مشتریان اطلاع داده می‌شود.

## Contact
contact-email = ایمیل: { $email }
contact-phone = تلفن: { $phone }
contact-address = نشانی پستی: { $address }

## Change descriptions
change-data-added = دادهٔ جدیدی جمع‌آوری می‌شود: { $category } ({ $need }).
change-data-removed = این داده دیگر جمع‌آوری نمی‌شود: { $category }.
change-data-requirement = این داده اکنون { $need } است: { $category }.
change-order-email-on = فروشگاه اکنون برای هر سفارش ایمیل دریافت می‌کند.
change-order-email-off = فروشگاه دیگر برای هر سفارش ایمیل دریافت نمی‌کند.
change-order-sms-on = اکنون دربارهٔ سفارش‌ها پیامک فرستاده می‌شود.
change-order-sms-off = دیگر دربارهٔ سفارش‌ها پیامک فرستاده نمی‌شود.
change-analytics-added = سرویس آماری اضافه شد: { $service }.
change-analytics-removed = سرویس آماری حذف شد: { $service }.
change-gateway-added = درگاه پرداخت اضافه شد: { $gateway }.
change-gateway-removed = درگاه پرداخت حذف شد: { $gateway }.
change-processor-added = پردازشگر اضافه شد: { $name } ({ $role }).
change-processor-removed = پردازشگر حذف شد: { $name } ({ $role }).
change-retention = مدت نگهداری تغییر کرد: { $kind }، از { $from } به { $to }.
change-response-time = مهلت پاسخ به درخواست‌ها از { $from } به { $to } تغییر کرد.
change-minimum-age = حداقل سن از { $from } به { $to } سال تغییر کرد.
change-contact = اطلاعات تماس تغییر کرد.
change-controller = مشخصات مسئول داده‌ها تغییر کرد.
change-locale-added = این سند اکنون به زبان { $language } نیز در دسترس است.
change-locale-removed = این سند دیگر به زبان { $language } در دسترس نیست.
lang-en = انگلیسی
lang-fa = فارسی
lang-ar = عربی
lang-sq = آلبانیایی
