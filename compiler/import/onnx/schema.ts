// The subset of the ONNX protobuf schema that the importer reads (and that tests write), as our own .proto text
// written from the field numbers of the ONNX IR spec (onnx/onnx.proto, IR versions 3-10), plus TypeScript shapes
// of the decoded messages. Fields we never read are left out: protobuf skips unknown fields when decoding.
// Invariants: field numbers and wire types match the ONNX spec exactly (tests encode models with this schema and
// onnxruntime reads them); names keep the spec's snake_case (the root is parsed with keepCase).

import * as protobuf from "protobufjs";

const ONNX_SCHEMA = `
syntax = "proto2";
package onnx;

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Tensor sparse_tensor_type = 8;
  }
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}

message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional int32 type = 20;
  optional string ref_attr_name = 21;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string domain = 7;
  optional string overload = 8;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message FunctionProto {
  optional string name = 1;
  repeated string input = 4;
  repeated string output = 5;
  repeated string attribute = 6;
  repeated NodeProto node = 7;
  repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
  repeated AttributeProto attribute_proto = 11;
  optional string overload = 13;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated FunctionProto functions = 25;
}
`;

/** ONNX TensorProto.DataType codes (the spec's enum). */
export const ONNX_DATA_TYPE = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11,
  UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16, FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
} as const;

/** ONNX AttributeProto.AttributeType codes. */
export const ONNX_ATTR_TYPE = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
} as const;

let root: protobuf.Root | undefined;

/** The parsed schema (parsed once, on first use). */
export function onnxRoot(): protobuf.Root {
  root ??= protobuf.parse(ONNX_SCHEMA, { keepCase: true }).root;
  return root;
}

/** The message type `onnx.<name>` (e.g. "ModelProto"). */
export function onnxType(name: string): protobuf.Type {
  return onnxRoot().lookupType(`onnx.${name}`);
}

export interface StringEntry { readonly key?: string; readonly value?: string }

export interface OpsetId { readonly domain?: string; readonly version?: number }

export interface TensorMsg {
  readonly dims?: number[];
  readonly data_type?: number;
  readonly float_data?: number[];
  readonly int32_data?: number[];
  readonly int64_data?: number[];
  readonly string_data?: Uint8Array[];
  readonly name?: string;
  readonly raw_data?: Uint8Array;
  readonly double_data?: number[];
  readonly uint64_data?: number[];
  readonly external_data?: StringEntry[];
  readonly data_location?: number;
}

export interface DimMsg { readonly dim_value?: number; readonly dim_param?: string }

export interface TypeMsg {
  readonly tensor_type?: { readonly elem_type?: number; readonly shape?: { readonly dim?: DimMsg[] } };
  readonly sparse_tensor_type?: unknown;
}

export interface ValueInfoMsg { readonly name?: string; readonly type?: TypeMsg }

export interface AttributeMsg {
  readonly name?: string;
  readonly type?: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: TensorMsg;
  readonly g?: unknown;
  readonly floats?: number[];
  readonly ints?: number[];
  readonly strings?: Uint8Array[];
  readonly tensors?: TensorMsg[];
  readonly graphs?: unknown[];
  readonly ref_attr_name?: string;
}

export interface NodeMsg {
  readonly input?: string[];
  readonly output?: string[];
  readonly name?: string;
  readonly op_type?: string;
  readonly attribute?: AttributeMsg[];
  readonly domain?: string;
  readonly overload?: string;
}

export interface GraphMsg {
  readonly node?: NodeMsg[];
  readonly name?: string;
  readonly initializer?: TensorMsg[];
  readonly input?: ValueInfoMsg[];
  readonly output?: ValueInfoMsg[];
  readonly value_info?: ValueInfoMsg[];
}

export interface FunctionMsg {
  readonly name?: string;
  readonly input?: string[];
  readonly output?: string[];
  readonly attribute?: string[];
  readonly node?: NodeMsg[];
  readonly opset_import?: OpsetId[];
  readonly domain?: string;
  readonly attribute_proto?: AttributeMsg[];
  readonly overload?: string;
}

export interface ModelMsg {
  readonly ir_version?: number;
  readonly producer_name?: string;
  readonly producer_version?: string;
  readonly graph?: GraphMsg;
  readonly opset_import?: OpsetId[];
  readonly functions?: FunctionMsg[];
}
