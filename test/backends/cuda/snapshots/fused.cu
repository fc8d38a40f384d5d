// ===== k5_reduce
extern "C" __global__ void __launch_bounds__(256) reduce_d0787c63e68d7e7b(const float* __restrict__ p0, float* __restrict__ p1) {
  for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < 48LL; o += (long long)gridDim.x * blockDim.x) {
    float a = 0.0f;
    for (long long r = 0; r < 32LL; ++r) {
      const float v0 = p0[(o / 24) * 768 + (o % 24) * 32 + r];
      const float v1 = (v0 * v0);
      a = (a + v1);
    }
    p1[o] = (a / 32.0f);
  }
}

// ===== k6_fused
extern "C" __global__ void __launch_bounds__(256) fused_889ec655c168e39c(const float* __restrict__ p0, float* __restrict__ p1, float* __restrict__ p2) {
  for (long long base = ((long long)blockIdx.x * blockDim.x + threadIdx.x) * 4; base < 48LL; base += ((long long)gridDim.x * blockDim.x) * 4) {
    const trainc_vec<4, float> x0 = *reinterpret_cast<const trainc_vec<4, float>*>(p0 + base);
    trainc_vec<4, float> y0;
    trainc_vec<4, float> y1;
    const float v0 = x0.v[0];
    const float v1 = (v0 + 1e-6f);
    const float v2 = (1.0f / sqrtf(v1));
    y0.v[0] = v2;
    const float v3 = (v2 * v2);
    const float v4 = (v2 * v3);
    const float v5 = (v4 * -5e-1f);
    y1.v[0] = v5;
    const float v6 = x0.v[1];
    const float v7 = (v6 + 1e-6f);
    const float v8 = (1.0f / sqrtf(v7));
    y0.v[1] = v8;
    const float v9 = (v8 * v8);
    const float v10 = (v8 * v9);
    const float v11 = (v10 * -5e-1f);
    y1.v[1] = v11;
    const float v12 = x0.v[2];
    const float v13 = (v12 + 1e-6f);
    const float v14 = (1.0f / sqrtf(v13));
    y0.v[2] = v14;
    const float v15 = (v14 * v14);
    const float v16 = (v14 * v15);
    const float v17 = (v16 * -5e-1f);
    y1.v[2] = v17;
    const float v18 = x0.v[3];
    const float v19 = (v18 + 1e-6f);
    const float v20 = (1.0f / sqrtf(v19));
    y0.v[3] = v20;
    const float v21 = (v20 * v20);
    const float v22 = (v20 * v21);
    const float v23 = (v22 * -5e-1f);
    y1.v[3] = v23;
    *reinterpret_cast<trainc_vec<4, float>*>(p1 + base) = y0;
    *reinterpret_cast<trainc_vec<4, float>*>(p2 + base) = y1;
  }
}

// ===== k48_fused
extern "C" __global__ void __launch_bounds__(256) fused_0fe3d2620ece6de3(const int* __restrict__ p0, unsigned char* __restrict__ p1) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < 46LL; i += (long long)gridDim.x * blockDim.x) {
    const int v0 = p0[(i / 23) * 24 + (0 + (i % 23))];
    const int v1 = p0[(i / 23) * 24 + (1 + (i % 23))];
    const bool v2 = (v0 == v1);
    p1[i] = (unsigned char)(v2);
  }
}

// ===== k61_reduce
extern "C" __global__ void __launch_bounds__(256) reduce_4abbe6ba6eb35451(const float* __restrict__ p0, float* __restrict__ p1, void* workspace) {
  __shared__ float partial[8];
  for (long long job = blockIdx.x; job < 2LL; job += gridDim.x) {
    const long long o = job / 2LL;
    const long long begin = (job % 2LL) * 16384LL;
    const long long end = trainc_min(begin + 16384LL, 32768LL);
    float a = 0.0f;
    for (long long r = begin + threadIdx.x; r < end; r += 256LL) {
      const float v0 = p0[(r / 8192) * 8192 + (r % 8192)];
      a = (a + v0);
    }
    a = trainc_block_sum(a, partial);
    if (threadIdx.x == 0) {
      float* sums = static_cast<float*>(workspace);
      unsigned int* done = reinterpret_cast<unsigned int*>(sums + 1);
      trainc_atomic_add(&sums[o], a);
      __threadfence();
      if (atomicAdd(&done[o], 1u) == 1u) { const float total = trainc_atomic_add(&sums[o], (float)0); p1[o] = total; }
    }
  }
}

// ===== k26_fused
extern "C" __global__ void __launch_bounds__(256) fused_4128fcd21b0cefb5(const __nv_bfloat16* __restrict__ p0, const __nv_bfloat16* __restrict__ p1, __nv_bfloat16* __restrict__ p2) {
  for (long long base = ((long long)blockIdx.x * blockDim.x + threadIdx.x) * 8; base < 2097152LL; base += ((long long)gridDim.x * blockDim.x) * 8) {
    const trainc_vec<8, __nv_bfloat16> x0 = *reinterpret_cast<const trainc_vec<8, __nv_bfloat16>*>(p0 + base);
    const trainc_vec<8, __nv_bfloat16> x1 = *reinterpret_cast<const trainc_vec<8, __nv_bfloat16>*>(p1 + base);
    trainc_vec<8, __nv_bfloat16> y0;
    const float v0 = __bfloat162float(x0.v[0]);
    const float v1 = __bfloat162float(__float2bfloat16_rn((v0 / (1.0f + expf(-v0)))));
    const float v2 = __bfloat162float(x1.v[0]);
    const float v3 = __bfloat162float(__float2bfloat16_rn((v1 * v2)));
    y0.v[0] = __float2bfloat16_rn(v3);
    const float v4 = __bfloat162float(x0.v[1]);
    const float v5 = __bfloat162float(__float2bfloat16_rn((v4 / (1.0f + expf(-v4)))));
    const float v6 = __bfloat162float(x1.v[1]);
    const float v7 = __bfloat162float(__float2bfloat16_rn((v5 * v6)));
    y0.v[1] = __float2bfloat16_rn(v7);
    const float v8 = __bfloat162float(x0.v[2]);
    const float v9 = __bfloat162float(__float2bfloat16_rn((v8 / (1.0f + expf(-v8)))));
    const float v10 = __bfloat162float(x1.v[2]);
    const float v11 = __bfloat162float(__float2bfloat16_rn((v9 * v10)));
    y0.v[2] = __float2bfloat16_rn(v11);
    const float v12 = __bfloat162float(x0.v[3]);
    const float v13 = __bfloat162float(__float2bfloat16_rn((v12 / (1.0f + expf(-v12)))));
    const float v14 = __bfloat162float(x1.v[3]);
    const float v15 = __bfloat162float(__float2bfloat16_rn((v13 * v14)));
    y0.v[3] = __float2bfloat16_rn(v15);
    const float v16 = __bfloat162float(x0.v[4]);
    const float v17 = __bfloat162float(__float2bfloat16_rn((v16 / (1.0f + expf(-v16)))));
    const float v18 = __bfloat162float(x1.v[4]);
    const float v19 = __bfloat162float(__float2bfloat16_rn((v17 * v18)));
    y0.v[4] = __float2bfloat16_rn(v19);
    const float v20 = __bfloat162float(x0.v[5]);
    const float v21 = __bfloat162float(__float2bfloat16_rn((v20 / (1.0f + expf(-v20)))));
    const float v22 = __bfloat162float(x1.v[5]);
    const float v23 = __bfloat162float(__float2bfloat16_rn((v21 * v22)));
    y0.v[5] = __float2bfloat16_rn(v23);
    const float v24 = __bfloat162float(x0.v[6]);
    const float v25 = __bfloat162float(__float2bfloat16_rn((v24 / (1.0f + expf(-v24)))));
    const float v26 = __bfloat162float(x1.v[6]);
    const float v27 = __bfloat162float(__float2bfloat16_rn((v25 * v26)));
    y0.v[6] = __float2bfloat16_rn(v27);
    const float v28 = __bfloat162float(x0.v[7]);
    const float v29 = __bfloat162float(__float2bfloat16_rn((v28 / (1.0f + expf(-v28)))));
    const float v30 = __bfloat162float(x1.v[7]);
    const float v31 = __bfloat162float(__float2bfloat16_rn((v29 * v30)));
    y0.v[7] = __float2bfloat16_rn(v31);
    *reinterpret_cast<trainc_vec<8, __nv_bfloat16>*>(p2 + base) = y0;
  }
}
