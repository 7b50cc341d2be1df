-- Twilio sends a WhatsApp template by the Content SID of the template as created in Twilio's
-- Content Template Builder (`HX…`), not by its name: a template can carry one, and a template
-- send through a Twilio connection needs it.
ALTER TABLE message_templates ADD COLUMN twilio_content_sid TEXT;
