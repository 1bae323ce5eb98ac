-- Completion callbacks (issue 22): where a command's callback goes, given with Callback-Url on its submission. NULL for
-- commands without one (and for every command accepted before this migration). The delivery state, the clients'
-- default URLs and their signing secrets come with the code that uses them (docs/callbacks-design.md).

ALTER TABLE commands ADD COLUMN callback_url text;
