//! Who a name is, and which passwords a person may choose (OWASP ASVS 2.1,
//! 5.1). A name is normalised once, the same way where it is created and
//! where it signs in, so `" victim"`, `"victim\u{a0}"` and the full-width
//! `"ｖｉｃｔｉｍ"` are all `victim`: they share its sign-in limit and none can
//! be created beside it.

use super::{AppError, AppResult};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A user name as people type it, in the one form the service compares:
/// NFKC (full-width letters and no-break spaces become their plain twins),
/// without the characters a browser shows as nothing (control, format —
/// bidi overrides, zero-width spaces), trimmed, lower-case.
pub fn canonical(name: &str) -> String {
    let folded: String = name.nfkc().filter(|c| !invisible(*c)).collect();
    folded.trim().to_lowercase()
}

fn invisible(c: char) -> bool {
    matches!(c.general_category(), GeneralCategory::Control | GeneralCategory::Format)
}

/// A new user name: refused if it holds a character that can impersonate
/// (control, format, unassigned, private use) or is not in its normal form;
/// otherwise the name as stored (NFKC, trimmed).
pub fn new_username(name: &str) -> AppResult<String> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 64 {
        return Err(AppError::BadInput("用户名 username 必填，不超过64个字符 (username is required, at most 64 characters)".into()));
    }
    let bad = trimmed.chars().find(|c| {
        matches!(c.general_category(), GeneralCategory::Control | GeneralCategory::Format | GeneralCategory::Unassigned | GeneralCategory::PrivateUse)
    });
    if let Some(c) = bad {
        return Err(AppError::BadInput(format!("用户名含有不可见或不允许的字符 U+{:04X} (a control, format or unassigned character)", c as u32)));
    }
    let normal: String = trimmed.nfkc().collect();
    if normal != trimmed {
        return Err(AppError::BadInput(format!("用户名请使用标准字符：`{trimmed}` 应写作 `{normal}` (use the normal form, NFKC)")));
    }
    if normal.chars().any(char::is_whitespace) {
        return Err(AppError::BadInput("用户名不能含空格 (no spaces in a user name)".into()));
    }
    Ok(normal)
}

/// Fewest characters of a password (NIST SP 800-63B's floor for a
/// password the user chose).
pub const MIN_PASSWORD: usize = 8;
/// zxcvbn's score a password needs: 2 of 4 ("safe from unthrottled online
/// guessing" — and sign-ins are throttled), which refuses the common
/// passwords, keyboard walks, dates and their leetspeak that score 0–1.
const MIN_SCORE: u8 = 2;
/// A user name this long or longer may not appear inside its password
/// (shorter ones would refuse half the dictionary).
const NAME_IN_PASSWORD: usize = 4;

/// A new password: long enough, not guessable, and not built from the
/// user's own name.
pub fn check_password(password: &str, username: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::BadInput(format!("密码至少{MIN_PASSWORD}位 (a password needs at least {MIN_PASSWORD} characters)")));
    }
    if password.chars().count() > 256 {
        return Err(AppError::BadInput("密码不超过256位 (at most 256 characters)".into()));
    }
    let name = canonical(username);
    let lowered = password.to_lowercase();
    if lowered == name || (name.chars().count() >= NAME_IN_PASSWORD && lowered.contains(&name)) {
        return Err(AppError::BadInput("密码不能包含用户名 (the password contains the user name)".into()));
    }
    let entropy = zxcvbn::zxcvbn(password, &[&name, "jiaoban", "交办", "gongjianban"]);
    if (entropy.score() as u8) < MIN_SCORE {
        return Err(AppError::BadInput("密码太容易被猜到，请用更长、不常见的组合 (too weak: a common or guessable password)".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_name_is_the_same_name() {
        for spelling in ["victim", " victim", "victim ", "\tvictim", "victim\u{a0}", "ｖｉｃｔｉｍ", "VICTIM", "vic\u{200b}tim", "\u{202e}victim"] {
            assert_eq!(canonical(spelling), "victim", "{spelling:?}");
        }
    }

    #[test]
    fn names_that_impersonate_are_refused() {
        for bad in ["ad\u{202e}min", "ｚｘ", "a\u{0}b", "zero\u{200b}width", "a b", "\u{e000}x", ""] {
            assert!(new_username(bad).is_err(), "{bad:?}");
        }
        assert_eq!(new_username(" zhongxing ").unwrap(), "zhongxing");
        assert_eq!(new_username("王建国").unwrap(), "王建国");
    }

    #[test]
    fn weak_and_common_passwords_are_refused() {
        for weak in ["12345678", "password", "password1", "Passw0rd!", "letmein123", "qwertyuiop", "zhongxing2021", "1111111111", "short"] {
            assert!(check_password(weak, "zhongxing").is_err(), "{weak}");
        }
        assert!(check_password("river-bank-lantern-42", "zhongxing").is_ok());
        assert!(check_password("password-123", "zx").is_ok(), "guessable with effort, not common");
        assert!(check_password("zx", "zx").is_err(), "never the name itself");
    }

    #[test]
    fn the_demo_password_is_one_the_service_would_accept() {
        for login in ["zhongxing", "zhuhang", "xinkai", "laohonggang", "zhujianju", "shengtaiju", "gongjianban", "fuhe", "kaohe", "admin"] {
            assert!(check_password(crate::demo::PASSWORD, login).is_ok(), "{login}");
        }
    }
}
