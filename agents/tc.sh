# agents/tc.sh
