-- The language the user wrote in when they filed the ticket (a BCP 47 tag: en, zh-Hant,
-- zh-Hans): what staff send them about it is put in that language.
ALTER TABLE tickets ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
