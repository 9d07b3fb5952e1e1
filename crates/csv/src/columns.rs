//! The seventeen columns of the registry exchange format, in file order, with their Chinese headers and English aliases.

use std::fmt;

/// One column of the exchange format.
///
/// The variants are in file order; [`Column::ALL`] lists them.
/// A file's header row names every column, in this order, either all with the Chinese header or all with the English alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// 档案编号, the 12-digit file number.
    FileNumber,
    /// 证号, the holder's 18-character citizen ID number.
    CitizenId,
    /// 姓名, the holder's name.
    Name,
    /// 性别, the holder's sex.
    Sex,
    /// 国籍, the holder's nationality.
    Nationality,
    /// 出生日期, the holder's birth date.
    BirthDate,
    /// 住址, the holder's address.
    Address,
    /// 初次领证日期, the date the first licence was issued.
    FirstIssueDate,
    /// 准驾车型, the permitted classes (e.g. `C1E`).
    Classes,
    /// 有效期起始日期, the first day of validity.
    ValidFrom,
    /// 有效期截止日期, the end of validity (a date or 长期).
    ValidUntil,
    /// 发证机关, the issuing authority's name.
    Authority,
    /// 发证机关地区代码, the issuing authority's GB/T 2260 region code.
    AuthorityRegion,
    /// 状态, the GA/T 16.25 status letters (e.g. `A`, `HI`).
    Status,
    /// 累积记分, the points accumulated in the current cycle.
    Points,
    /// 记分周期起始日期, the first day of the points cycle the points belong to.
    PointsCycleStart,
    /// 手机号码, the holder's mobile number (may be empty).
    Phone,
}

impl Column {
    /// Every column, in file order.
    pub const ALL: [Column; 17] = [
        Column::FileNumber,
        Column::CitizenId,
        Column::Name,
        Column::Sex,
        Column::Nationality,
        Column::BirthDate,
        Column::Address,
        Column::FirstIssueDate,
        Column::Classes,
        Column::ValidFrom,
        Column::ValidUntil,
        Column::Authority,
        Column::AuthorityRegion,
        Column::Status,
        Column::Points,
        Column::PointsCycleStart,
        Column::Phone,
    ];

    /// The number of columns in a record.
    pub const COUNT: usize = Column::ALL.len();

    /// The column's Chinese header, as it appears in the header row.
    pub const fn header_zh(self) -> &'static str {
        match self {
            Column::FileNumber => "档案编号",
            Column::CitizenId => "证号",
            Column::Name => "姓名",
            Column::Sex => "性别",
            Column::Nationality => "国籍",
            Column::BirthDate => "出生日期",
            Column::Address => "住址",
            Column::FirstIssueDate => "初次领证日期",
            Column::Classes => "准驾车型",
            Column::ValidFrom => "有效期起始日期",
            Column::ValidUntil => "有效期截止日期",
            Column::Authority => "发证机关",
            Column::AuthorityRegion => "发证机关地区代码",
            Column::Status => "状态",
            Column::Points => "累积记分",
            Column::PointsCycleStart => "记分周期起始日期",
            Column::Phone => "手机号码",
        }
    }

    /// The column's English alias, accepted in the header row instead of the Chinese header.
    pub const fn alias(self) -> &'static str {
        match self {
            Column::FileNumber => "file_number",
            Column::CitizenId => "citizen_id",
            Column::Name => "name",
            Column::Sex => "sex",
            Column::Nationality => "nationality",
            Column::BirthDate => "birth_date",
            Column::Address => "address",
            Column::FirstIssueDate => "first_issue_date",
            Column::Classes => "classes",
            Column::ValidFrom => "valid_from",
            Column::ValidUntil => "valid_until",
            Column::Authority => "authority",
            Column::AuthorityRegion => "authority_region",
            Column::Status => "status",
            Column::Points => "points",
            Column::PointsCycleStart => "points_cycle_start",
            Column::Phone => "phone",
        }
    }

    /// The column's zero-based position in a record.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The column whose Chinese header or English alias is exactly `name`, if any.
    pub fn from_header(name: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.header_zh() == name || c.alias() == name)
    }
}

/// Shows the alias followed by the Chinese header, e.g. `file_number (档案编号)`.
impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.alias(), self.header_zh())
    }
}

/// Which names a header row used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLanguage {
    /// The Chinese headers (档案编号, 证号, …), the registry's own form.
    Chinese,
    /// The English aliases (file_number, citizen_id, …).
    English,
}

impl HeaderLanguage {
    /// The name of `column` in this language.
    pub const fn name(self, column: Column) -> &'static str {
        match self {
            HeaderLanguage::Chinese => column.header_zh(),
            HeaderLanguage::English => column.alias(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_in_file_order() {
        for (i, c) in Column::ALL.into_iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }

    #[test]
    fn headers_and_aliases_are_unique_and_found() {
        for c in Column::ALL {
            assert_eq!(Column::from_header(c.header_zh()), Some(c));
            assert_eq!(Column::from_header(c.alias()), Some(c));
        }
        assert_eq!(Column::from_header("档案号"), None);
    }
}
