# agents/disk.sh
