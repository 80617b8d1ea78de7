// The Integrations API's store: the Twilio settings in KV (no object owns them; one operator writes).
export { readTwilioIntegration, writeTwilioIntegration, type TwilioIntegration } from "../kv/integrations";
