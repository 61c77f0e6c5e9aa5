// Who is signed in on a site: `me` loaded when there is a session (and its language
// applied), signing out, choosing a language. Shared by the portal and the console.
import { useEffect, useState } from 'preact/hooks';
import { Api } from './api';
import * as format from './format';
import { setLanguage } from './i18n';
import { navigate } from './router';

export function useSession<Me extends { language: string }>(api: Api, mePath: string, home: string) {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const reload = () => {
    setError(null);
    setRound((r) => r + 1);
  };
  useEffect(() => {
    api.onSignedOut = () => {
      setMe(null);
      setRound((r) => r + 1);
    };
    if (!api.token) return;
    api.get<Me>(mePath).then((who) => {
      setLanguage(who.language);
      format.setLocale(who.language);
      setMe(who);
    }, setError);
  }, [round]);
  const signOut = async () => {
    try {
      await api.post('/v1/auth/sign-out');
    } finally {
      api.token = null;
      setMe(null);
      navigate(home);
      reload();
    }
  };
  const chooseLanguage = (language: string) => {
    api.put('/v1/auth/language', { language }).then(reload, setError);
  };
  return { me, error, reload, signOut, chooseLanguage };
}
