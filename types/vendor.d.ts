/** Packages that ship no TypeScript declarations; typed at the call site where used. */
declare module "sodium-native";
