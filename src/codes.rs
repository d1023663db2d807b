//! The rule codes of SPEC.md: one enum, in the order of its error table then its
//! warning table, so that sorting a set of codes is the order `codes` is written in.

use std::fmt;

/// A finding about one planned user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Code {
    DuplicateUser,
    AmbiguousPlan,
    UserNotFound,
    OrganizationUnknown,
    UnknownProduct,
    AmbiguousProduct,
    SourceNotHeld,
    GroupInherited,
    UnknownServicePlan,
    /// An error only with `--strict`; otherwise a warning.
    DowngradeBackupRequired,
    TargetNotListed,
    TargetOtherOrganization,
    TargetInactive,
    MissingUsageLocation,
    NotEnoughLicenses,
    SourceInactive,
    SignInBlocked,
}

impl Code {
    /// Every code, in output order.
    pub const ALL: [Code; 17] = [
        Code::DuplicateUser,
        Code::AmbiguousPlan,
        Code::UserNotFound,
        Code::OrganizationUnknown,
        Code::UnknownProduct,
        Code::AmbiguousProduct,
        Code::SourceNotHeld,
        Code::GroupInherited,
        Code::UnknownServicePlan,
        Code::DowngradeBackupRequired,
        Code::TargetNotListed,
        Code::TargetOtherOrganization,
        Code::TargetInactive,
        Code::MissingUsageLocation,
        Code::NotEnoughLicenses,
        Code::SourceInactive,
        Code::SignInBlocked,
    ];

    /// The code as written in result.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DuplicateUser => "duplicate-user",
            Code::AmbiguousPlan => "ambiguous-plan",
            Code::UserNotFound => "user-not-found",
            Code::OrganizationUnknown => "organization-unknown",
            Code::UnknownProduct => "unknown-product",
            Code::AmbiguousProduct => "ambiguous-product",
            Code::SourceNotHeld => "source-not-held",
            Code::GroupInherited => "group-inherited",
            Code::UnknownServicePlan => "unknown-service-plan",
            Code::DowngradeBackupRequired => "downgrade-backup-required",
            Code::TargetNotListed => "target-not-listed",
            Code::TargetOtherOrganization => "target-other-organization",
            Code::TargetInactive => "target-inactive",
            Code::MissingUsageLocation => "missing-usage-location",
            Code::NotEnoughLicenses => "not-enough-licenses",
            Code::SourceInactive => "source-inactive",
            Code::SignInBlocked => "sign-in-blocked",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of codes, iterated in output order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeSet(u32);

impl CodeSet {
    pub const EMPTY: CodeSet = CodeSet(0);

    pub fn insert(&mut self, code: Code) {
        self.0 |= 1 << code as u8;
    }

    pub fn contains(self, code: Code) -> bool {
        self.0 & (1 << code as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Code> {
        Code::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Code> for CodeSet {
    fn from_iter<I: IntoIterator<Item = Code>>(iter: I) -> Self {
        let mut set = CodeSet::EMPTY;
        for code in iter {
            set.insert(code);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_in_table_order_whatever_the_insertion_order() {
        let set: CodeSet = [
            Code::SignInBlocked,
            Code::DowngradeBackupRequired,
            Code::SourceInactive,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [
                Code::DowngradeBackupRequired,
                Code::SourceInactive,
                Code::SignInBlocked
            ]
        );
    }

    #[test]
    fn all_lists_every_code_once_in_declaration_order() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i);
        }
    }
}
