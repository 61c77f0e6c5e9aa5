//! An invoice as a PDF: the provider's legal name, address and tax number; the customer;
//! the invoice's dates; its lines by service; its totals and credit notes; in English or
//! French. Written with `pdf-writer` in Helvetica, one of the fonts every PDF reader has,
//! so nothing is embedded and the file stays a few kilobytes.
//!
//! A credit note is a document of its own, with its own number, against the invoice it
//! corrects. Both are laid out on A4 or Letter, as the provider chose.
//!
//! Not yet: the provider's logo and colours, a tagged (PDF/UA) structure for screen
//! readers.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use time::Date;

use super::adjustments::CreditNote;
use super::invoice::{Invoice, InvoiceLine, LineKind};
use super::settings::{BillingSettings, Paper};

const LEFT: f32 = 50.0;
const MARGIN: f32 = 50.0;
const BOTTOM: f32 = 80.0;

/// The words of the document, by language (English unless French is asked for).
struct Words {
    french: bool,
}

impl Words {
    fn get(&self, key: &str) -> &'static str {
        match (key, self.french) {
            ("invoice", false) => "Invoice",
            ("invoice", true) => "Facture",
            ("tax_invoice", false) => "Tax invoice",
            ("tax_invoice", true) => "Facture",
            ("bill_to", false) => "Bill to",
            ("bill_to", true) => "Facturé à",
            ("account", false) => "Account",
            ("account", true) => "Compte",
            ("date", false) => "Date",
            ("date", true) => "Date",
            ("period", false) => "Period",
            ("period", true) => "Période",
            ("due", false) => "Due",
            ("due", true) => "Échéance",
            ("charge", false) => "Charge",
            ("charge", true) => "Ligne",
            ("amount", false) => "Amount",
            ("amount", true) => "Montant",
            ("usage", false) => "Calls, messages and data",
            ("usage", true) => "Appels, messages et données",
            ("account_charges", false) => "Account charges and credits",
            ("account_charges", true) => "Frais et avoirs du compte",
            ("subtotal", false) => "Before tax",
            ("subtotal", true) => "Hors taxes",
            ("total", false) => "Total",
            ("total", true) => "Total",
            ("credit_applied", false) => "Credit used",
            ("credit_applied", true) => "Avoir utilisé",
            ("paid", false) => "Paid",
            ("paid", true) => "Payé",
            ("credited", false) => "Credited",
            ("credited", true) => "Avoirs",
            ("to_pay", false) => "To pay",
            ("to_pay", true) => "À payer",
            ("credit_note", false) => "Credit note",
            ("credit_note", true) => "Note d'avoir",
            ("page", false) => "Page",
            ("page", true) => "Page",
            ("written_off", false) => "Written off",
            ("written_off", true) => "Passé en perte",
            ("against", false) => "Against invoice",
            ("against", true) => "Sur la facture",
            ("reason", false) => "Reason",
            ("reason", true) => "Motif",
            ("credit_total", false) => "Credited",
            ("credit_total", true) => "Total de l'avoir",
            (_, _) => "",
        }
    }

    fn month(&self, month: time::Month) -> &'static str {
        const EN: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const FR: [&str; 12] = [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ];
        let n = usize::from(u8::from(month)) - 1;
        if self.french { FR[n] } else { EN[n] }
    }

    fn date(&self, date: Date) -> String {
        format!(
            "{} {} {}",
            date.day(),
            self.month(date.month()),
            date.year()
        )
    }

    /// Minor units as the language writes them: 1234.50 or 1 234,50.
    fn money(&self, minor: i64) -> String {
        let text = crate::domain::catalogue::money::decimal(minor);
        if self.french {
            text.replace('.', ",")
        } else {
            text
        }
    }
}

/// Text in the Windows-1252 ("WinAnsi") encoding the standard fonts use; a character it
/// does not have is written as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'ƒ' => 0x83,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            _ => b'?',
        })
        .collect()
}

/// The width of text in Helvetica at `size`, for aligning amounts on the right. Digits,
/// the separators and the minus sign have the widths of the font's metrics; other
/// characters are counted at an average width (amounts hold none).
fn width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' => 556,
            '.' | ',' | ' ' => 278,
            '-' => 333,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// A page being written: its content and where the next line goes.
struct Page {
    content: Content,
    y: f32,
}

struct Writer {
    pages: Vec<Page>,
    width: f32,
    height: f32,
}

impl Writer {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.new_page();
        }
        self.pages.last_mut().expect("a page was just added")
    }

    fn new_page(&mut self) {
        self.pages.push(Page {
            content: Content::new(),
            y: self.height - 60.0,
        });
    }

    /// Room for `height` more points on this page, or a new page.
    fn room(&mut self, height: f32) {
        if self.page().y - height < BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let page = self.page();
        let y = page.y;
        page.content
            .begin_text()
            .set_font(Name(if bold { b"F2" } else { b"F1" }), size)
            .next_line(x, y)
            .show(Str(&win_ansi(text)))
            .end_text();
    }

    fn right(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        self.text(x - width(text, size), size, bold, text);
    }

    fn right_edge(&self) -> f32 {
        self.width - MARGIN
    }

    fn down(&mut self, points: f32) {
        self.page().y -= points;
    }

    fn rule(&mut self) {
        let right = self.right_edge();
        let page = self.page();
        let y = page.y + 4.0;
        page.content
            .set_line_width(0.5)
            .move_to(LEFT, y)
            .line_to(right, y)
            .stroke();
    }
}

fn cut(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(most - 1).collect();
        out.push('…');
        out
    }
}

/// The provider's name, address and tax number at the top of a document.
fn letterhead(out: &mut Writer, provider: &BillingSettings, provider_name: &str) -> String {
    let name = if provider.legal_name.trim().is_empty() {
        provider_name
    } else {
        provider.legal_name.as_str()
    };
    out.text(LEFT, 16.0, true, &cut(name, 45));
    out.down(18.0);
    for line in &provider.address {
        out.text(LEFT, 9.0, false, line);
        out.down(12.0);
    }
    if !provider.tax_number.is_empty() {
        out.text(LEFT, 9.0, false, &provider.tax_number);
        out.down(12.0);
    }
    out.down(14.0);
    name.to_owned()
}

fn writer(paper: Paper) -> Writer {
    let (width, height) = paper.size();
    Writer {
        pages: Vec::new(),
        width,
        height,
    }
}

/// The invoice as a PDF document, in `language` (`fr` for French, else English): as it
/// stands, with what was paid and credited since it was issued.
pub fn render(
    invoice: &Invoice,
    notes: &[CreditNote],
    provider: &BillingSettings,
    provider_name: &str,
    language: &str,
) -> Vec<u8> {
    let w = Words {
        french: language == "fr",
    };
    let mut out = writer(provider.paper);
    let right = out.right_edge();
    let name = letterhead(&mut out, provider, provider_name);
    let title = if invoice.tax != 0 {
        w.get("tax_invoice")
    } else {
        w.get("invoice")
    };
    out.text(LEFT, 14.0, true, &format!("{title} {}", invoice.number));
    out.down(22.0);
    // The customer and the dates.
    let facts = [
        (w.get("bill_to"), cut(&invoice.account_name, 60)),
        (w.get("account"), invoice.account_number.clone()),
        (w.get("date"), w.date(invoice.issued_on)),
        (
            w.get("period"),
            format!(
                "{} – {}",
                w.date(invoice.period_start),
                w.date(invoice.period_end)
            ),
        ),
        (w.get("due"), w.date(invoice.due_on)),
    ];
    for (label, value) in facts {
        out.text(LEFT, 10.0, true, label);
        out.text(LEFT + 90.0, 10.0, false, &value);
        out.down(14.0);
    }
    out.down(10.0);
    // The lines, by service.
    let amount_header = format!("{} ({})", w.get("amount"), invoice.currency);
    let mut services: Vec<(&str, Vec<&InvoiceLine>)> = Vec::new();
    for line in &invoice.lines {
        match services.iter_mut().find(|(s, _)| *s == line.service) {
            Some((_, lines)) => lines.push(line),
            None => services.push((&line.service, vec![line])),
        }
    }
    for (_, lines) in &services {
        out.room(60.0);
        let first = lines[0];
        let heading = if first.identifier.is_empty() {
            w.get("account_charges").to_owned()
        } else {
            match &first.cost_centre {
                Some(centre) => format!("{} · {centre}", first.identifier),
                None => first.identifier.clone(),
            }
        };
        out.text(LEFT, 11.0, true, &cut(&heading, 70));
        out.down(14.0);
        out.text(LEFT, 8.0, true, w.get("charge"));
        out.text(LEFT + 260.0, 8.0, true, w.get("period"));
        out.right(right, 8.0, true, &amount_header);
        // The rule below the headings, clear of their letters.
        out.down(7.0);
        out.rule();
        out.down(9.0);
        for line in lines {
            out.room(14.0);
            let description = if line.kind == LineKind::Usage {
                w.get("usage").to_owned()
            } else {
                line.description.clone()
            };
            out.text(LEFT, 9.0, false, &cut(&description, 45));
            let period = if line.period_start == line.period_end {
                w.date(line.period_start)
            } else {
                format!(
                    "{} – {}",
                    w.date(line.period_start),
                    w.date(line.period_end)
                )
            };
            out.text(LEFT + 260.0, 9.0, false, &period);
            out.right(right, 9.0, false, &w.money(line.gross));
            out.down(13.0);
        }
        out.down(8.0);
    }
    // The totals.
    out.room(110.0);
    out.rule();
    out.down(8.0);
    let mut totals = vec![
        (w.get("subtotal").to_owned(), invoice.subtotal, false),
        (invoice.tax_name.clone(), invoice.tax, false),
        (w.get("total").to_owned(), invoice.total, true),
    ];
    if invoice.credit_applied != 0 {
        totals.push((
            w.get("credit_applied").to_owned(),
            -invoice.credit_applied,
            false,
        ));
    }
    if invoice.paid != 0 {
        totals.push((w.get("paid").to_owned(), -invoice.paid, false));
    }
    if invoice.credited != 0 {
        totals.push((w.get("credited").to_owned(), -invoice.credited, false));
    }
    if invoice.written_off != 0 {
        totals.push((w.get("written_off").to_owned(), -invoice.written_off, false));
    }
    totals.push((w.get("to_pay").to_owned(), invoice.outstanding(), true));
    for (label, amount, bold) in totals {
        out.text(right - 220.0, 10.0, bold, &label);
        out.right(right, 10.0, bold, &w.money(amount));
        out.down(14.0);
    }
    for note in notes {
        out.room(14.0);
        let label = format!(
            "{} {} ({}): {}",
            w.get("credit_note"),
            note.number,
            w.date(note.issued_on),
            cut(&note.reason, 40)
        );
        out.text(LEFT, 9.0, false, &label);
        out.right(right, 9.0, false, &w.money(-note.amount));
        out.down(13.0);
    }

    let title = format!("{} {}", w.get("invoice"), invoice.number);
    document(out, &w, &title, &name)
}

/// A credit note as a PDF document of its own, in `language`: its number, the invoice it
/// corrects, why, and what it credits with its tax.
pub fn render_credit_note(
    note: &CreditNote,
    invoice: &Invoice,
    provider: &BillingSettings,
    provider_name: &str,
    language: &str,
) -> Vec<u8> {
    let w = Words {
        french: language == "fr",
    };
    let mut out = writer(provider.paper);
    let right = out.right_edge();
    let name = letterhead(&mut out, provider, provider_name);
    let title = format!("{} {}", w.get("credit_note"), note.number);
    out.text(LEFT, 14.0, true, &title);
    out.down(22.0);
    let facts = [
        (w.get("bill_to"), cut(&invoice.account_name, 60)),
        (w.get("account"), invoice.account_number.clone()),
        (w.get("date"), w.date(note.issued_on)),
        (w.get("against"), invoice.number.clone()),
        (w.get("reason"), cut(&note.reason, 60)),
    ];
    for (label, value) in facts {
        out.text(LEFT, 10.0, true, label);
        out.text(LEFT + 110.0, 10.0, false, &value);
        out.down(14.0);
    }
    out.down(16.0);
    out.rule();
    out.down(8.0);
    let totals = [
        (w.get("subtotal").to_owned(), note.amount - note.tax, false),
        (invoice.tax_name.clone(), note.tax, false),
        (
            format!("{} ({})", w.get("credit_total"), invoice.currency),
            note.amount,
            true,
        ),
    ];
    for (label, amount, bold) in totals {
        out.text(right - 220.0, 10.0, bold, &label);
        out.right(right, 10.0, bold, &w.money(amount));
        out.down(14.0);
    }
    document(out, &w, &title, &name)
}

/// The document: catalog, page tree, the two fonts, each page and its content.
fn document(out: Writer, w: &Words, title: &str, author: &str) -> Vec<u8> {
    let right = out.right_edge();
    let (page_width, page_height) = (out.width, out.height);
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let count = out.pages.len();
    let page_refs: Vec<Ref> = (0..count).map(|n| Ref::new(10 + 2 * n as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(count as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(title))
        .author(TextStr(author));
    for (n, mut page) in out.pages.into_iter().enumerate() {
        let page_ref = page_refs[n];
        let content_ref = Ref::new(page_ref.get() + 1);
        // The page number at the foot.
        let foot = format!("{} {} / {count}", w.get("page"), n + 1);
        page.content
            .begin_text()
            .set_font(Name(b"F1"), 8.0)
            .next_line(right - width(&foot, 8.0), 40.0)
            .show(Str(&win_ansi(&foot)))
            .end_text();
        let mut writer = pdf.page(page_ref);
        writer
            .media_box(Rect::new(0.0, 0.0, page_width, page_height))
            .parent(tree)
            .contents(content_ref);
        writer
            .resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        writer.finish();
        pdf.stream(content_ref, &page.content.finish());
    }
    pdf.finish()
}
