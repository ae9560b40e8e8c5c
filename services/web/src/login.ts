// The login page only shows why a previous attempt failed; the form posts to /login.
const reason = new URLSearchParams(location.search).get('error');
if (reason) document.querySelector('#error')!.textContent = reason === 'expired' ? 'Nyckeln har gått ut.' : 'Ogiltig nyckel.';
