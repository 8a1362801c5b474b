import { describeNativeConformance } from './conformance';
import { createNodeNative } from './node-native';

// The reference implementation of the native-layer contract: the suite a C build must pass too.
describeNativeConformance('node', () => createNodeNative());
