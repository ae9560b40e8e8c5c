import { languageSwitch, t, translatePage } from './i18n.ts';

// The login page only shows why a previous attempt failed; the form posts to /login (and works without script, in Swedish).
translatePage();
document.querySelector('main')!.prepend(languageSwitch());
const reason = new URLSearchParams(location.search).get('error');
if (reason) document.querySelector('#error')!.textContent = reason === 'expired' ? t('login.expired') : t('login.invalid');
